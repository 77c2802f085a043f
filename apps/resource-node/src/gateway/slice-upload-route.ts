import type { IncomingMessage, ServerResponse } from 'node:http'
import {
  DecodeError,
  encodeTicket,
  type FileHash,
  isErrorNamed,
  sliceHashFromInnerDigest,
  TicketBoundError,
} from '@stratos-edge/core'
import {
  type CommitResult,
  MAX_COMMIT_BYTES,
  MAX_HELD_QUERY_BYTES,
  parseCommitRequest,
  parseHeldSlicesQuery,
  parseSliceUploadHeaders,
  parseStageHeaders,
  SliceHashMismatchError,
  SliceUploadHeader,
  type SliceUploadReceipt,
  StoreFullError,
  sliceUploadErrorBody,
  sliceUploadStatusOf,
} from '@stratos-edge/protocol'
import { clientOf } from './client-address.js'
import type { SliceUploadRouteInit } from './slice-upload-route-init.js'
import type { TicketAdmission } from './ticket-gate.js'
import { readBody } from './upload-body.js'
import { createUploadBudget } from './upload-budget.js'

export type { SliceUploadRouteInit, SliceUploadTarget } from './slice-upload-route-init.js'

/** Staged uploads whose ticket is remembered until their commit (older ones are forgotten first). */
const MAX_STAGED_TICKETS = 16_384

/**
 * The upload handlers: `POST /v1/slices` (with hashes, or staged), `POST /v1/uploads/<id>/commit`, and
 * `POST /v1/slices/held` (which slices the node holds already: what a resumed upload need not send).
 */
export interface SliceUploadRoute {
  upload(req: IncomingMessage, res: ServerResponse): Promise<void>
  commit(req: IncomingMessage, res: ServerResponse, uploadId: string): Promise<void>
  held(req: IncomingMessage, res: ServerResponse): Promise<void>
}

/**
 * Creates the upload handlers (see `@stratos-edge/protocol`'s `uploadSlice` and staged uploads). With
 * hashes: headers are checked and the disk budget consulted before any body byte is read; the body is
 * verified against its slice hash and durably stored before the 201; a slice already held is answered 200
 * without a write. Staged: the body is digested and held in memory (202) while the staging writes it ahead
 * to the store; a commit stores each staged slice whose hash, finished from its digest and the file hash,
 * matches the one claimed, adopting its written-ahead file (so only its header is written then).
 */
export function createSliceUploadRoute(init: SliceUploadRouteInit): SliceUploadRoute {
  const { target, metrics, logger } = init
  const idleTimeoutMs = init.idleTimeoutMs ?? 30_000
  const minBytesPerSecond = init.minBytesPerSecond ?? 16 * 1024
  const budget = createUploadBudget({
    maxBytes: init.maxBufferedBytes ?? 256 * 1024 * 1024,
    ...(init.maxBufferedBytesPerClient !== undefined
      ? { perClientBytes: init.maxBufferedBytesPerClient }
      : {}),
    waitTimeoutMs: idleTimeoutMs,
  })

  const reply = (res: ServerResponse, status: number, body: unknown, close = false): void => {
    metrics.gatewayRequests.inc({ status: String(status) })
    const text = `${JSON.stringify(body)}\n`
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
      'access-control-allow-origin': '*',
      ...(close ? { connection: 'close' } : {}),
    })
    res.end(text)
  }

  const fail = (res: ServerResponse, err: unknown, readBodyFully: boolean): void => {
    const status = sliceUploadStatusOf(err)
    if (status === 500) logger.error('slice upload failed', { error: err })
    else logger.warn('slice upload rejected', { status, error: err })
    metrics.streamErrors.inc({ protocol: 'http-upload', error: (err as Error)?.name ?? 'Error' })
    // A body not read to its end cannot be skipped on a kept-alive connection: close it after the answer.
    if (!res.headersSent && !res.destroyed) reply(res, status, sliceUploadErrorBody(err), !readBodyFully)
  }

  /** Which ticket paid for each staged upload: its commit must come with the same one. */
  const stagedTickets = new Map<string, string>()

  /**
   * The ticket check of a write, before any body byte: nothing without a gate, else the admission (the
   * caller refunds it when nothing was stored). Throws the gate's typed errors.
   */
  const admit = (
    req: IncomingMessage,
    use: { bytes: number; fileHash?: FileHash },
  ): TicketAdmission | undefined => init.tickets?.admit(header(req)(SliceUploadHeader.TICKET), use)

  const header =
    (req: IncomingMessage) =>
    (name: string): string | undefined => {
      const v = req.headers[name]
      return Array.isArray(v) ? v.join(',') : v
    }

  /**
   * Reads a body of `size` bytes within the memory budget and hands it to `handle`. A stalled body is
   * answered with its timeout, a vanished client just dropped; `handle`'s errors become the answer.
   */
  const receive = async (
    req: IncomingMessage,
    res: ServerResponse,
    size: number,
    handle: (data: Buffer) => Promise<void>,
  ): Promise<void> => {
    // The client is gone when its response closes before it was answered: its place in line goes.
    const gone = new AbortController()
    const onClose = (): void => gone.abort(new Error('Client closed the upload'))
    res.once('close', onClose)
    let release: () => void
    try {
      release = await budget.acquire(size, clientOf(req, init.trustProxy), gone.signal)
    } catch (err) {
      res.off('close', onClose)
      if (isErrorNamed(err, 'UploadBusyError')) {
        metrics.uploadsDropped.inc({ reason: 'wait' })
        fail(res, err, false)
      } else req.destroy()
      return
    }
    res.off('close', onClose)
    try {
      let data: Buffer
      try {
        data = await readBody(req, size, idleTimeoutMs, minBytesPerSecond)
        metrics.uploadBodyBytes.inc(data.length)
      } catch (err) {
        if (isErrorNamed(err, 'ProtocolTimeoutError')) {
          metrics.uploadsDropped.inc({ reason: 'slow' })
          fail(res, err, false)
        } else req.destroy()
        return
      }
      await handle(data).catch((err: unknown) => fail(res, err, true))
    } finally {
      release()
    }
  }

  /** A slice whose hash is not known yet: digest it and hold it until its upload is committed. */
  const stage = async (
    req: IncomingMessage,
    res: ServerResponse,
    request: NonNullable<ReturnType<typeof parseStageHeaders>>,
  ): Promise<void> => {
    let releaseRoom: () => void
    let paid: TicketAdmission | undefined
    try {
      paid = admit(req, { bytes: request.size })
      // Staged bytes are written ahead to the store: unpaid slices make way first (only after the ticket).
      if (request.size > target.freeBytes()) await target.makeRoom?.(request.size)
      const earlier = stagedTickets.get(request.uploadId)
      if (paid && earlier && earlier !== paid.ticket.id) {
        paid.refund()
        throw new TicketBoundError(
          `Upload ${request.uploadId} is paid by ticket ${earlier}, not ${paid.ticket.id}`,
          'Send every slice of an upload with the same ticket',
        )
      }
      releaseRoom = init.staging.reserve(
        request.size,
        request.uploadId,
        request.number,
        clientOf(req, init.trustProxy),
      )
    } catch (err) {
      paid?.refund()
      return fail(res, err, false)
    }
    if (paid) {
      stagedTickets.delete(request.uploadId)
      stagedTickets.set(request.uploadId, paid.ticket.id)
      if (stagedTickets.size > MAX_STAGED_TICKETS)
        stagedTickets.delete(stagedTickets.keys().next().value as string)
    }
    let staged = false
    try {
      await receive(req, res, request.size, async (data) => {
        const digested = await target.digest(request.number, data)
        const held = init.staging.put(
          request.uploadId,
          { number: request.number, data: digested.data, innerDigest: digested.digest },
          clientOf(req, init.trustProxy),
        )
        if (!held) {
          throw new DecodeError(
            `Upload ${request.uploadId} is already committed`,
            'Send the slice with its hash',
          )
        }
        staged = true
        reply(res, 202, { upload: request.uploadId, number: request.number, peerId: target.peerId })
      })
    } finally {
      if (!staged) paid?.refund()
      releaseRoom()
    }
  }

  const upload = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    let request: ReturnType<typeof parseSliceUploadHeaders>
    try {
      const staged = parseStageHeaders(header(req))
      if (staged) return stage(req, res, staged)
      request = parseSliceUploadHeaders(header(req))
    } catch (err) {
      return fail(res, err, false)
    }
    let paid: TicketAdmission | undefined
    try {
      paid = admit(req, { bytes: request.size, fileHash: request.fileHash })
    } catch (err) {
      return fail(res, err, false)
    }
    const receipt = (stored: SliceUploadReceipt['stored']): SliceUploadReceipt => ({
      hash: request.hash,
      stored,
      peerId: target.peerId,
    })
    if (await target.has(request.hash)) {
      paid?.refund() // nothing stored, nothing spent
      reply(res, 200, receipt('existing'))
      metrics.uploadBodyBytes.inc(request.size) // sent all the same
      req.resume() // the body is discarded; the connection stays usable
      return
    }
    if (request.size > target.freeBytes() && !(await target.makeRoom?.(request.size))) {
      const full = new StoreFullError(
        `No room for a ${request.size}-byte slice (${target.freeBytes()} bytes free)`,
        'Upload to another node',
      )
      paid?.refund()
      return fail(res, full, false)
    }
    let stored = false
    await receive(req, res, request.size, async (data) => {
      const digested = await target.digest(request.number, data)
      if (sliceHashFromInnerDigest(digested.digest, request.fileHash) !== request.hash) {
        throw new SliceHashMismatchError(
          `Slice ${request.number} of ${request.fileHash} does not match its hash ${request.hash}`,
          'The bytes were not stored; upload the slice again',
        )
      }
      await target.put(
        { hash: request.hash, fileHash: request.fileHash, number: request.number, data: digested.data },
        request.forward,
        { verified: true, ...(paid ? { ticket: encodeTicket(paid.ticket) } : {}) },
      )
      stored = true
      reply(res, 201, receipt('new'))
    })
    if (!stored) paid?.refund()
  }

  const commit = async (req: IncomingMessage, res: ServerResponse, uploadId: string): Promise<void> => {
    let request: ReturnType<typeof parseCommitRequest>
    let paid: TicketAdmission | undefined
    try {
      // The ticket first, before the body: a commit without one reads nothing.
      paid = admit(req, { bytes: 0 })
      const earlier = stagedTickets.get(uploadId)
      if (paid && earlier !== undefined && earlier !== paid.ticket.id) {
        throw new TicketBoundError(
          `Upload ${uploadId} is paid by ticket ${earlier}, not ${paid.ticket.id}`,
          'Commit with the ticket the slices were staged with',
        )
      }
      const length = Number(req.headers['content-length'])
      if (!Number.isSafeInteger(length) || length < 1 || length > MAX_COMMIT_BYTES) {
        throw new DecodeError(`A commit needs a JSON body of 1 to ${MAX_COMMIT_BYTES} bytes`)
      }
      const body = await readBody(req, length, idleTimeoutMs)
      let value: unknown
      try {
        value = JSON.parse(body.toString('utf8'))
      } catch {
        throw new DecodeError('The commit body is not JSON')
      }
      request = parseCommitRequest(value)
      // Binds the ticket to the file now that its hash is known (or refuses one bound to another file).
      admit(req, { bytes: 0, fileHash: request.fileHash })
    } catch (err) {
      return fail(res, err, false)
    }
    stagedTickets.delete(uploadId)
    const staged = init.staging.take(uploadId)
    const result: CommitResult = { stored: [], rejected: [], peerId: target.peerId }
    const ticket = paid ? encodeTicket(paid.ticket) : undefined
    // Stored in parallel, so the fsyncs overlap; each slice succeeds or is rejected on its own.
    await Promise.all(
      request.slices.map(async ({ number, hash }) => {
        const s = staged.get(number)
        if (!s || sliceHashFromInnerDigest(s.innerDigest, request.fileHash) !== hash) {
          result.rejected.push(number)
          return
        }
        try {
          await target.put({ hash, fileHash: request.fileHash, number, data: s.data }, request.forward, {
            verified: true,
            ...(s.file ? { staged: s.file } : {}),
            ...(ticket ? { ticket } : {}),
          })
          result.stored.push(number)
        } catch (err) {
          logger.warn('staged slice not stored', { hash, error: err })
          result.rejected.push(number)
        }
      }),
    )
    // The files of slices rejected or not named go (an adopted one is gone already); not waited for.
    for (const s of staged.values()) void s.file?.discard()
    result.stored.sort((a, b) => a - b)
    result.rejected.sort((a, b) => a - b)
    reply(res, 200, result)
  }

  const held = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    let hashes: string[]
    try {
      const length = Number(req.headers['content-length'])
      if (!Number.isSafeInteger(length) || length < 1 || length > MAX_HELD_QUERY_BYTES) {
        throw new DecodeError(`A held-slices query needs a JSON body of 1 to ${MAX_HELD_QUERY_BYTES} bytes`)
      }
      const body = await readBody(req, length, idleTimeoutMs)
      let value: unknown
      try {
        value = JSON.parse(body.toString('utf8'))
      } catch {
        throw new DecodeError('The held-slices query is not JSON')
      }
      hashes = parseHeldSlicesQuery(value)
    } catch (err) {
      return fail(res, err, false)
    }
    const found = await Promise.all(hashes.map((h) => target.has(h)))
    const indexes = found.flatMap((has, i) => (has ? [i] : []))
    reply(res, 200, { held: indexes, peerId: target.peerId })
  }

  return { upload, commit, held }
}
