import { once } from 'node:events'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  type FileHash,
  isAddress,
  isErrorNamed,
  MAX_SLICE_SIZE,
  type Manifest,
  type SliceHash,
  sameAddress,
} from '@stratos-edge/core'
import {
  commitPathUploadId,
  HELD_SLICES_PATH,
  SLICE_UPLOAD_CORS_HEADERS,
  SLICE_UPLOAD_PATH,
} from '@stratos-edge/protocol'
import type { Logger } from '../logger.js'
import type { SliceWaitOptions } from '../node/gateway-slices.js'
import type { NodeMetrics } from '../node/metrics.js'
import { etagMatches, fileTarget, isFilePath } from './file-target.js'
import { isRecentManifest, MAX_CHECKED_SLICES, slicesUnavailableBody } from './missing-slices.js'
import { parseRange } from './range.js'
import type { GatewayRateLimit } from './rate-limit-gateway.js'
import { drained } from './response-drain.js'
import type { SliceUploadRoute } from './slice-upload-route.js'
import { createWritePacer } from './write-pacer.js'

/** Options of {@link startGateway}. */
export interface GatewayInit {
  host: string
  port: number
  metrics: NodeMetrics
  logger: Logger
  /**
   * The signed manifest of a file (local, or from the meta service), or undefined; with `owner` (an
   * sdm:// URI's), the one that owner signed. `signal` stops a read no longer needed.
   */
  getManifest(fileHash: FileHash, owner?: string, signal?: AbortSignal): Promise<Manifest | undefined>
  /**
   * Bytes [from, to) of a slice, verified, in chunks of bounded size (local, or fetched from a provider);
   * throws when the slice is unavailable. `signal` stops a read no longer needed; `waitForAnnounce`
   * (recent files only) waits for a slice not announced yet.
   */
  readSlice(
    hash: SliceHash,
    from: number,
    to: number,
    signal: AbortSignal,
    options?: SliceWaitOptions,
  ): AsyncIterable<Uint8Array>
  /**
   * Of a read's first slices, those no node can give (for a recent file: none announced after a short
   * wait). The read is then answered before any byte, never cut short: 503 + Retry-After for a recent
   * file, 502 with a JSON `SlicesUnavailableError` for an old one. Without it, reads start at once.
   */
  unknownSlices?(
    hashes: readonly SliceHash[],
    signal: AbortSignal,
    options?: SliceWaitOptions,
  ): Promise<SliceHash[]>
  /** Body of `/healthz`. */
  health(): Record<string, unknown>
  /** With the meta service's Proof of Traffic: `GET /v1/meta/traffic[?account=0x…]` (its epoch state). */
  metaTrafficStatus?(account: string | undefined): Promise<unknown>
  /** Handler of `POST /v1/slices` (uploads); without it the gateway is read-only. */
  sliceUpload?: SliceUploadRoute
  /** A reader that takes no bytes for this long is dropped, ms (default 120 000): slow readers are not. */
  writeTimeoutMs?: number
  /**
   * Bytes all readers together write in one event-loop turn before the rest wait for the next (default
   * 4 MiB; `Infinity`: unpaced), so uploads and other requests are served between the batches.
   */
  writeBytesPerTurn?: number
  /** Per-client rate limits of reads and writes; without it, none. */
  rateLimit?: GatewayRateLimit
  /** Called with the file bytes handed to a reader (traffic counting: its owner's ozone pays). */
  onFileBytes?(manifest: Manifest, bytes: number): void
  /** Body of `GET /v1/status/traffic` (JSON); without it the route answers 404. */
  trafficStatus?(): Promise<unknown>
}

/** A running gateway. */
export interface Gateway {
  readonly url: string
  readonly server: Server
  close(): Promise<void>
}

/** Seconds a reader turned away (503: too many slices being fetched, or some not announced yet) waits. */
const BUSY_RETRY_AFTER_SECONDS = 2

/** The node's own Proof of Traffic figures, JSON. */
export const TRAFFIC_STATUS_PATH = '/v1/status/traffic'
export { etagMatches } from './file-target.js'

/**
 * Starts the HTTP gateway: `GET|HEAD /v1/files/<file hash>` and `/v1/files/sdm://<owner>/<file hash>`
 * (also without the `/v1` prefix)
 * stream the file, slice by slice, each verified, with Content-Type (from the manifest),
 * Content-Length, and single-range `Range` support (206/416); `/healthz`; `/metrics` (Prometheus);
 * `POST /v1/slices` slice uploads and `POST /v1/uploads/<id>/commit` when `sliceUpload` is given.
 *
 * @example
 * ```ts
 * const gw = await startGateway({ host: '127.0.0.1', port: 0, metrics, logger, getManifest, getSlice, health })
 * console.log(gw.url)
 * ```
 */
export async function startGateway(init: GatewayInit): Promise<Gateway> {
  const { metrics, logger } = init
  const writeTimeoutMs = init.writeTimeoutMs ?? 120_000
  // Load bench, 20 s attack, same sitting, paced (4 MiB) vs unpaced, 3 runs: the good client's 4 MiB
  // upload p99 1087/1195/646 ms vs 2080/1988/1061, /healthz p99 196/605/106 vs 1012/1085/681. The cost:
  // its download p99 1008/1278/905 ms vs 263/741/92 (it waits its turn behind 200 readers), and the
  // readers' MB/s during the attack 251/208/651 vs 292/456/979.
  const writeBytesPerTurn = init.writeBytesPerTurn ?? 4 * 1024 * 1024
  const pacer = Number.isFinite(writeBytesPerTurn)
    ? createWritePacer({ bytesPerTurn: writeBytesPerTurn })
    : undefined

  const finish = (
    res: ServerResponse,
    status: number,
    body: string,
    type = 'text/plain; charset=utf-8',
    extra: Record<string, string | number> = {},
  ): void => {
    metrics.gatewayRequests.inc({ status: String(status) })
    // Errors carry CORS too: a page's fetch() then sees the 404 instead of "Failed to fetch".
    res.writeHead(status, {
      'content-type': type,
      'content-length': Buffer.byteLength(body),
      'access-control-allow-origin': '*',
      ...extra,
    })
    res.end(body)
  }

  /** 503 with Retry-After: nothing of the file was sent, and the reader may come back in a moment. */
  const tryLater = (res: ServerResponse, why: string): void =>
    finish(res, 503, `${why}\n`, undefined, {
      'retry-after': BUSY_RETRY_AFTER_SECONDS,
      'access-control-expose-headers': 'retry-after',
    })

  async function serveFile(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    if (init.rateLimit && !init.rateLimit.admit(req, res, 'read')) return
    const t = fileTarget(path)
    if (!t) return finish(res, 400, 'Expected /v1/files/<file hash> or /v1/files/sdm://<owner>/<file hash>\n')
    // A bare file hash is resolved by the meta service (one answer for every client), not here.
    const manifest = await init.getManifest(t.fileHash, t.owner)
    if (
      !manifest ||
      manifest.fileHash !== t.fileHash ||
      (t.owner !== undefined && !sameAddress(t.owner, manifest.owner))
    ) {
      return finish(res, 404, `File ${t.fileHash} is not known here\n`)
    }
    if (t.owner === undefined && manifest.encryption !== undefined) {
      // Its file hash is not of the bytes served: only its owner's URI says which bytes are meant.
      return finish(res, 404, `${t.fileHash} is an encrypted file: ask for it by its owner's sdm:// URI\n`)
    }
    const size = manifest.size
    // If-Range with another validator (or a date: ours is not one) asks for the whole file, not a part.
    const ifRange = req.headers['if-range']
    const rangeHeader =
      ifRange === undefined || ifRange === `"${manifest.fileHash}"` ? req.headers.range : undefined
    const range = parseRange(rangeHeader, size)
    const headers: Record<string, string | number> = {
      'content-type': manifest.mimeType || 'application/octet-stream',
      'accept-ranges': 'bytes',
      etag: `"${manifest.fileHash}"`,
      'cache-control': 'public, max-age=31536000, immutable',
      'access-control-allow-origin': '*',
      // Anyone's upload is served from this origin: never sniffed into another type, never run as a page.
      'x-content-type-options': 'nosniff',
      'content-security-policy': 'sandbox',
      'access-control-expose-headers': 'content-length, content-range, accept-ranges, etag',
    }
    if (manifest.name)
      headers['content-disposition'] = `inline; filename*=UTF-8''${encodeURIComponent(manifest.name)}`
    if (etagMatches(req.headers['if-none-match'], manifest.fileHash)) {
      metrics.gatewayRequests.inc({ status: '304' })
      res.writeHead(304, headers)
      res.end()
      return
    }
    if (range === 'unsatisfiable') {
      metrics.gatewayRequests.inc({ status: '416' })
      res.writeHead(416, { ...headers, 'content-range': `bytes */${size}`, 'content-length': 0 })
      res.end()
      return
    }
    const start = range?.start ?? 0
    const end = range?.end ?? size - 1
    const length = size === 0 ? 0 : end - start + 1
    const status = range ? 206 : 200
    if (range) headers['content-range'] = `bytes ${start}-${end}/${size}`
    headers['content-length'] = length
    // Its bytes, now that they are known (a HEAD or a 304 costs its request only).
    if (init.rateLimit && req.method !== 'HEAD' && !init.rateLimit.admit(req, res, 'read', length, 0)) return
    // Sent with the first bytes: a first slice the node cannot get yet is still answered with a status.
    const head = (): void => {
      if (res.headersSent) return
      metrics.gatewayRequests.inc({ status: String(status) })
      res.writeHead(status, headers)
    }
    if (req.method === 'HEAD' || length === 0) {
      head()
      res.end()
      return
    }
    const abort = new AbortController()
    res.on('close', () => abort.abort())
    const sliceSize = manifest.sliceSize
    const first = Math.floor(start / sliceSize)
    const last = Math.floor(end / sliceSize)
    const wait: SliceWaitOptions = { waitForAnnounce: isRecentManifest(manifest) }
    const checked = manifest.slices.slice(first, Math.min(last + 1, first + MAX_CHECKED_SLICES))
    const unknown = await init.unknownSlices?.(
      checked.map((s) => s.hash),
      abort.signal,
      wait,
    )
    if (abort.signal.aborted || res.destroyed) return
    // Nothing sent yet: rather than cut the body at the first missing slice, say when to come back (a
    // recent file: its announcements may still come) or that waiting will not help (an old one).
    if (unknown?.length && wait.waitForAnnounce)
      return tryLater(res, `${unknown.length} slices are not announced yet`)
    if (unknown?.length)
      return finish(
        res,
        502,
        slicesUnavailableBody(manifest.fileHash, unknown.length, checked.length),
        'application/json',
      )
    for (let i = first; i <= last; i++) {
      const entry = manifest.slices[i]
      const sliceStart = i * sliceSize
      const from = Math.max(start, sliceStart) - sliceStart
      const to = Math.min(end + 1, sliceStart + (entry?.size ?? 0)) - sliceStart
      let sent = 0
      try {
        if (!entry) throw new Error('the manifest lists fewer slices than its size needs')
        for await (const chunk of init.readSlice(entry.hash, from, to, abort.signal, wait)) {
          // The client went away while the chunk was read: stop here, reading nothing more.
          if (abort.signal.aborted || res.destroyed) return
          const turn = pacer?.take(chunk.length)
          if (turn) {
            await turn
            if (abort.signal.aborted || res.destroyed) return
          }
          sent += chunk.length
          metrics.gatewayBytes.inc(chunk.length)
          init.onFileBytes?.(manifest, chunk.length)
          head()
          const waited = res.write(chunk) ? 'drained' : await drained(res, writeTimeoutMs)
          if (waited === 'closed') return
          if (waited === 'stalled') {
            // A reader that takes nothing for the write timeout holds a socket and its buffers: dropped.
            metrics.gatewayStalledReaders.inc()
            logger.debug('gateway: dropping a reader that stalled', { fileHash: manifest.fileHash })
            res.destroy()
            return
          }
        }
        if (sent !== to - from) throw new Error(`slice ${i + 1} gave ${sent} of ${to - from} bytes`)
      } catch (error) {
        if (abort.signal.aborted || res.destroyed) return
        if (!res.headersSent && isErrorNamed(error, 'GatewayBusyError')) {
          // Too many slices being fetched from other nodes: nothing sent yet, so say when to come back.
          return tryLater(res, (error as Error).message)
        }
        if (!res.headersSent) {
          logger.warn('gateway: first slice unavailable', {
            fileHash: manifest.fileHash,
            slice: i + 1,
            error,
          })
          return finish(res, 502, `Slice ${i + 1} of ${manifest.fileHash} is not available now\n`)
        }
        // Short of its Content-Length: the client sees an incomplete response.
        logger.warn('gateway: slice unavailable, truncating response', {
          fileHash: manifest.fileHash,
          slice: i + 1,
          error,
        })
        res.destroy()
        return
      }
    }
    head()
    res.end()
  }

  // Two read-cache chunks may wait in a response before its writer waits for 'drain' (Node's default is
  // 16 KiB, less than one chunk): half the round trips per reader, and still a bounded amount per socket.
  // Load bench, 200 readers, same sitting (ratio to the raw static server; the machine at load 12-17):
  // this 0.46/0.26, 16 KiB 0.66/0.75, 1 MiB chunks with 2 MiB 1.36/0.32: noise, not a winner. In every
  // window the node's one busy thread was runnable but queued for a CPU 3-4 s of each 6 s (schedstat)
  // while it needed half the raw server's CPU per MB: the gap is CPU share on a shared machine.
  // No whole-request timeout (Node's 300 s would cut a slow upload with a bare 408 the browser cannot
  // read, no CORS): the upload routes enforce their own idle and rate limits.
  const server = createServer({ highWaterMark: 512 * 1024, requestTimeout: 0 }, (req, res) => {
    const path = (req.url ?? '/').split('?')[0] as string
    const handle = async (): Promise<void> => {
      if (req.method === 'OPTIONS') {
        metrics.gatewayRequests.inc({ status: '204' })
        res.writeHead(204, {
          'access-control-allow-origin': '*',
          'access-control-allow-methods': init.sliceUpload
            ? 'GET, HEAD, POST, OPTIONS'
            : 'GET, HEAD, OPTIONS',
          'access-control-allow-headers': [
            'range',
            'if-none-match',
            ...(init.sliceUpload ? SLICE_UPLOAD_CORS_HEADERS : []),
          ].join(', '),
          'access-control-max-age': '86400',
        })
        res.end()
        return
      }
      if (req.method === 'POST' && init.sliceUpload) {
        const uploadId = path === SLICE_UPLOAD_PATH ? undefined : commitPathUploadId(path)
        // A length no slice may have is refused by the route before any byte is read: it costs nothing.
        const length = Number(req.headers['content-length'])
        const bodyBytes = length <= MAX_SLICE_SIZE ? length : 0
        if (
          (path === SLICE_UPLOAD_PATH || uploadId) &&
          init.rateLimit?.admit(req, res, 'write', bodyBytes) === false
        )
          return
        if (path === SLICE_UPLOAD_PATH) return init.sliceUpload.upload(req, res)
        if (path === HELD_SLICES_PATH) {
          // No ticket needed to ask, so it is limited like a read.
          if (init.rateLimit?.admit(req, res, 'read') === false) return
          return init.sliceUpload.held(req, res)
        }
        if (uploadId) return init.sliceUpload.commit(req, res, uploadId)
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') return finish(res, 405, 'Method not allowed\n')
      if (path === '/healthz')
        return finish(res, 200, `${JSON.stringify(init.health())}\n`, 'application/json')
      if (path === '/metrics') {
        const body = await metrics.registry.metrics()
        return finish(res, 200, body, metrics.registry.contentType)
      }
      if (path === TRAFFIC_STATUS_PATH && init.trafficStatus) {
        const body = JSON.stringify(await init.trafficStatus())
        return finish(res, 200, `${body}\n`, 'application/json')
      }
      if (isFilePath(path)) return serveFile(req, res, path)
      if (path === '/v1/meta/traffic' && init.metaTrafficStatus) {
        const account = new URL(req.url ?? '/', 'http://x').searchParams.get('account') ?? undefined
        if (account !== undefined && !isAddress(account)) return finish(res, 400, 'Bad account\n')
        const status = await init.metaTrafficStatus(account)
        return finish(res, 200, `${JSON.stringify(status)}\n`, 'application/json')
      }
      return finish(res, 404, 'Not found\n')
    }
    handle().catch((err) => {
      logger.error('gateway request failed', { path, error: err })
      if (!res.headersSent) finish(res, isErrorNamed(err, 'AbortedError') ? 499 : 500, 'Internal error\n')
      else res.destroy()
    })
  })
  server.listen(init.port, init.host)
  await once(server, 'listening')
  const addr = server.address() as AddressInfo
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address
  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${addr.port}`
  return {
    url,
    server,
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
