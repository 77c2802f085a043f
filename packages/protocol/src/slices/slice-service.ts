import type { Connection, Libp2p, PeerId, Stream } from '@libp2p/interface'
import { createSliceHasher, DecodeError, type SliceHash } from '@stratos-edge/core'
import { Uint8ArrayList } from 'uint8arraylist'
import { SliceHashMismatchError, SliceNotFoundError } from '../errors.js'
import { abortError, FrameReader } from '../framing/frame-reader.js'
import { encodeFrame, sendWithBackpressure } from '../framing/frame-writer.js'
import {
  MAX_CONTROL_FRAME_BYTES,
  MAX_PIECE_BYTES,
  MAX_SLICE_FRAME_BYTES,
  SLICE_FETCH_PROTOCOL,
  SLICE_PUSH_PROTOCOL,
} from '../protocol-ids.js'
import { closeGracefully, closeWithError } from '../stream-utils.js'
import { MSG_ERROR } from '../wire-errors.js'
import {
  dataFramePrefix,
  decodeFetchRequest,
  decodePushHeader,
  encodeFetchResponse,
  encodePushAck,
  SliceMessageType,
} from './slice-messages.js'
import type { PushSettle, SliceService, SliceServiceInit } from './slice-service-init.js'
import type { SliceRecord, SliceStore } from './slice-store.js'

export type {
  PushSettle,
  SliceService,
  SliceServiceEvents,
  SliceServiceInit,
} from './slice-service-init.js'

/**
 * Serves the slice protocols from a {@link SliceStore}: answers fetches (pieces of ≤ 256 KiB, with
 * backpressure, from any offset) and accepts pushes (hash verified while the bytes arrive, stored,
 * then acknowledged, several slices pipelined per stream). A bad stream gets a typed ERROR frame and is
 * closed; other streams are unaffected.
 *
 * @example
 * ```ts
 * const service = await registerSliceProtocols(libp2p, { store, onSliceStored: (s) => console.log(s.hash) })
 * ```
 */
export async function registerSliceProtocols(
  libp2p: Pick<Libp2p, 'handle' | 'unhandle'>,
  init: SliceServiceInit,
): Promise<SliceService> {
  const service = createSliceService(init)
  const opts = {
    maxInboundStreams: init.maxInboundStreams ?? 64,
    runOnLimitedConnection: init.runOnLimitedConnection ?? false,
  }
  const protocols: string[] = []
  if (init.serveFetch !== false) {
    await libp2p.handle(SLICE_FETCH_PROTOCOL, (s, c) => service.handleFetch(s, c), opts)
    protocols.push(SLICE_FETCH_PROTOCOL)
  }
  if (init.acceptPush !== false) {
    await libp2p.handle(SLICE_PUSH_PROTOCOL, (s, c) => service.handlePush(s, c), opts)
    protocols.push(SLICE_PUSH_PROTOCOL)
  }
  return {
    ...service,
    async unregister() {
      await libp2p.unhandle(protocols)
    },
  }
}

/** The stream handlers without registering them; see {@link registerSliceProtocols}. */
export function createSliceService(init: SliceServiceInit): Omit<SliceService, 'unregister'> {
  const timeout = init.timeout ?? 30_000
  const depth = Math.max(1, init.pipelineDepth ?? 4)
  const maxBuffered = init.maxBufferedBytes ?? 256 * 1024 * 1024
  const budget = createByteBudget(maxBuffered)
  const peerBudgets = createPeerBudgets(init.maxBufferedBytesPerPeer ?? Math.floor(maxBuffered / 4))
  const minPushRate = init.minPushRate ?? 64 * 1024

  const fail = async (stream: Stream, protocol: string, peer: PeerId, err: unknown): Promise<void> => {
    const e = err instanceof Error ? err : new Error(String(err))
    init.onStreamError?.(e, { protocol, peer })
    await closeWithError(stream, e)
  }

  async function handleFetch(stream: Stream, connection: Pick<Connection, 'remotePeer'>): Promise<void> {
    const peer = connection.remotePeer
    const reader = new FrameReader(stream, { maxFrameBytes: MAX_CONTROL_FRAME_BYTES })
    try {
      const body = await reader.next({ signal: AbortSignal.timeout(timeout) })
      if (body === null) return await closeGracefully(stream)
      const req = decodeFetchRequest(body)
      await init.admitReceipts?.(req, peer)
      // The fetcher verifies every slice it receives, so the store need not hash it again on each read.
      const slice = await init.store.get(req.hash, { reverify: false })
      if (!slice) throw new SliceNotFoundError(`Slice ${req.hash} is not held here`, 'Ask another provider')
      if (req.offset > slice.data.length) {
        throw new DecodeError(
          `Offset ${req.offset} is past the end (${slice.data.length})`,
          'Resume from a valid offset',
        )
      }
      await init.admitFetch?.({ hash: req.hash, bytes: slice.data.length - req.offset }, peer)
      const head = encodeFrame(
        encodeFetchResponse({
          number: slice.number,
          fileHash: slice.fileHash,
          size: slice.data.length,
          offset: req.offset,
        }),
      )
      // Send in batches of several pieces: one stream write per batch, waiting only when the stream asks.
      let batch = new Uint8ArrayList(head)
      for (let o = req.offset; o < slice.data.length; o += MAX_PIECE_BYTES) {
        const piece = slice.data.subarray(o, Math.min(o + MAX_PIECE_BYTES, slice.data.length))
        batch.append(dataFramePrefix(piece.length), piece)
        if (batch.byteLength >= 1024 * 1024) {
          // the timeout is per batch: a slow link is fine as long as it keeps draining
          await sendWithBackpressure(stream, batch, AbortSignal.timeout(timeout))
          batch = new Uint8ArrayList()
        }
      }
      if (batch.byteLength > 0) await sendWithBackpressure(stream, batch, AbortSignal.timeout(timeout))
      reader.release()
      await closeGracefully(stream, timeout)
      init.onSliceServed?.({ hash: req.hash, bytes: slice.data.length - req.offset, peer })
    } catch (err) {
      reader.release()
      await fail(stream, SLICE_FETCH_PROTOCOL, peer, err)
    }
  }

  async function handlePush(stream: Stream, connection: Pick<Connection, 'remotePeer'>): Promise<void> {
    const peer = connection.remotePeer
    const reader = new FrameReader(stream, {
      maxFrameBytes: MAX_SLICE_FRAME_BYTES,
      highWaterMark: 4 * 1024 * 1024,
    })
    let failure: unknown
    // Aborts the pending read as soon as a store write fails, so the client hears about it at once.
    const failed = new AbortController()
    const readSignal = (): AbortSignal => AbortSignal.any([failed.signal, AbortSignal.timeout(timeout)])
    const inflight: Promise<void>[] = []
    const releases: Array<() => void> = []
    let tail: Promise<void> = Promise.resolve()
    let unsettled: ((outcome: { stored: boolean; isNew: boolean }) => void) | undefined
    try {
      for (;;) {
        if (failure !== undefined) throw failure
        // While acks are still owed the client may rightly wait for them: the idle timeout for the next
        // header starts only once everything received so far is acknowledged.
        const idle = new AbortController()
        let idleTimer: ReturnType<typeof setTimeout> | undefined
        void tail.finally(() => {
          if (!idle.signal.aborted) {
            idleTimer = setTimeout(() => idle.abort(new DOMException('Stream idle', 'TimeoutError')), timeout)
          }
        })
        let headBody: Uint8Array | null
        try {
          headBody = await reader.next({ signal: AbortSignal.any([failed.signal, idle.signal]) })
        } finally {
          idle.abort()
          clearTimeout(idleTimer)
        }
        if (headBody === null) break
        if (headBody[0] === MSG_ERROR)
          throw new DecodeError('Client sent an error frame', 'Closing the stream')
        const header = decodePushHeader(headBody)
        const settleOnce = once((await init.admitPush?.(header, peer)) ?? undefined)
        // Until its write starts, a slice that fails (budget wait, body, deadline) was not stored.
        unsettled = settleOnce
        // The peer's own share first: one peer waiting on it holds nothing of the shared budget.
        const releasePeer = await peerBudgets.reserve(peer.toString(), header.size, readSignal())
        try {
          await budget.reserve(header.size, readSignal())
        } catch (err) {
          releasePeer()
          throw err
        }
        let reserved = header.size
        const releaseReserved = (): void => {
          budget.release(reserved)
          reserved = 0
          releasePeer()
        }
        releases.push(releaseReserved)
        // The per-frame timeout alone lets a peer drip a byte now and then and keep its reservation for
        // ever: the whole slice has a deadline too.
        const deadline = AbortSignal.timeout(5_000 + Math.ceil((header.size / minPushRate) * 1000))
        const data = new Uint8Array(header.size)
        const hasher = init.hashSlice ? undefined : await createSliceHasher(header.number, header.fileHash)
        let received = 0
        while (received < header.size) {
          const frame = await reader.nextList({ signal: AbortSignal.any([readSignal(), deadline]) })
          if (frame === null) throw new DecodeError('Stream ended inside a slice', 'Send the whole slice')
          if (frame.get(0) !== SliceMessageType.DATA)
            throw new DecodeError('Expected a DATA frame', 'Send the whole slice')
          if (received + frame.byteLength - 1 > header.size) {
            throw new DecodeError(
              'More slice bytes than the header announced',
              'Send exactly the announced size',
            )
          }
          let skip = 1
          for (const chunk of frame) {
            const piece = skip > 0 ? chunk.subarray(skip) : chunk
            skip = Math.max(0, skip - chunk.length)
            data.set(piece, received)
            hasher?.update(piece)
            received += piece.length
          }
        }
        const hashed: Promise<SliceHash> = hasher
          ? Promise.resolve(hasher.finish())
          : (init.hashSlice as NonNullable<SliceServiceInit['hashSlice']>)(
              header.number,
              data,
              header.fileHash,
            )
        hashed.catch(() => {})
        const record: SliceRecord = {
          hash: header.hash,
          fileHash: header.fileHash,
          number: header.number,
          data,
        }
        // Verify, then store: both may run while the next slice arrives; acks still go out in order.
        const put: Promise<boolean> = hashed.then(async (actual) => {
          if (actual !== header.hash) {
            throw new SliceHashMismatchError(
              `Pushed slice ${header.number} of ${header.fileHash} hashes to ${actual}, not ${header.hash}`,
              'The slice was discarded; re-read it from the file and push again',
            )
          }
          return init.store.put(record, { verified: true })
        })
        unsettled = undefined
        put.then(
          (isNew) => settleOnce({ stored: true, isNew }),
          () => settleOnce({ stored: false, isNew: false }),
        )
        put.catch((err) => {
          failure ??= err
          failed.abort(err)
        })
        void put.finally(releaseReserved).catch(() => {})
        const link = tail.then(async () => {
          if (failure !== undefined) return
          try {
            const isNew = await put
            await sendWithBackpressure(stream, encodeFrame(encodePushAck(header.hash)))
            init.onSliceStored?.(record, {
              from: peer,
              forward: header.forward,
              isNew,
              ...(header.ticket ? { ticket: header.ticket } : {}),
            })
          } catch (err) {
            failure ??= err
            failed.abort(err)
          }
        })
        tail = link
        inflight.push(link)
        if (inflight.length >= depth) await inflight.shift()
      }
      await tail
      if (failure !== undefined) throw failure
      reader.release()
      await closeGracefully(stream, timeout)
    } catch (err) {
      unsettled?.({ stored: false, isNew: false })
      reader.release()
      await fail(stream, SLICE_PUSH_PROTOCOL, peer, failure ?? err)
    } finally {
      for (const r of releases) r()
    }
  }

  return { handleFetch, handlePush }
}

/** A {@link createByteBudget} per peer, forgotten while the peer holds and awaits nothing. */
function createPeerBudgets(max: number): {
  reserve(peer: string, bytes: number, signal: AbortSignal): Promise<() => void>
} {
  const budgets = new Map<string, { budget: ReturnType<typeof createByteBudget>; users: number }>()
  return {
    async reserve(peer, bytes, signal) {
      let entry = budgets.get(peer)
      if (!entry) {
        entry = { budget: createByteBudget(max), users: 0 }
        budgets.set(peer, entry)
      }
      const e = entry
      e.users++
      const leave = (): void => {
        if (--e.users === 0 && budgets.get(peer) === e) budgets.delete(peer)
      }
      try {
        await e.budget.reserve(bytes, signal)
      } catch (err) {
        leave()
        throw err
      }
      let released = false
      return () => {
        if (released) return
        released = true
        e.budget.release(bytes)
        leave()
      }
    },
  }
}

/** A counting budget of bytes shared by all push streams of one service. */
function createByteBudget(max: number): {
  reserve(bytes: number, signal: AbortSignal): Promise<void>
  release(bytes: number): void
} {
  let used = 0
  const waiters: Array<() => void> = []
  return {
    async reserve(bytes, signal) {
      // A slice larger than the whole budget may still proceed alone.
      while (used > 0 && used + bytes > max) {
        await new Promise<void>((resolve, reject) => {
          const onAbort = (): void => reject(abortError(signal))
          if (signal.aborted) return onAbort()
          signal.addEventListener('abort', onAbort, { once: true })
          waiters.push(() => {
            signal.removeEventListener('abort', onAbort)
            resolve()
          })
        })
      }
      used += bytes
    },
    release(bytes) {
      if (bytes === 0) return
      used -= bytes
      for (const w of waiters.splice(0)) w()
    },
  }
}

/** `settle` callable at most once (or a no-op without one). */
function once(settle: PushSettle | undefined): PushSettle {
  let done = false
  return (outcome) => {
    if (done || !settle) return
    done = true
    settle(outcome)
  }
}
