import type { AbortOptions, Libp2p, PeerId, Stream } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import {
  AbortedError,
  createSliceHasher,
  DecodeError,
  InvalidArgumentError,
  isErrorNamed,
  type SliceHash,
} from '@stratos-edge/core'
import { Uint8ArrayList } from 'uint8arraylist'
import {
  ProtocolTimeoutError,
  SliceFetchInterruptedError,
  SliceHashMismatchError,
  UnexpectedEndOfStreamError,
} from '../errors.js'
import { abortError, FrameReader } from '../framing/frame-reader.js'
import { encodeFrame, framePrefix, sendWithBackpressure } from '../framing/frame-writer.js'
import {
  MAX_CONTROL_FRAME_BYTES,
  MAX_PIECE_BYTES,
  MAX_SLICE_FRAME_BYTES,
  SLICE_FETCH_PROTOCOL,
  SLICE_PUSH_PROTOCOL,
} from '../protocol-ids.js'
import { closeGracefully, withTimeout } from '../stream-utils.js'
import { decodeErrorMessage, MSG_ERROR } from '../wire-errors.js'
import {
  dataFramePrefix,
  decodeFetchResponse,
  decodePushAck,
  encodeFetchRequest,
  encodePushHeader,
  type PeerAddress,
  SliceMessageType,
} from './slice-messages.js'
import type { SliceRecord } from './slice-store.js'

/** Anything libp2p can dial: a peer id (known addresses) or multiaddrs. */
export type DialTarget = PeerId | Multiaddr | Multiaddr[]

/** The part of a libp2p node the clients need. */
export type DialComponents = Pick<Libp2p, 'dialProtocol'>

/** Options shared by the clients. */
export interface ClientOptions extends AbortOptions {
  /** Whole-operation timeout, ms (default 60 000). */
  timeout?: number
  /** Allow relayed (limited) connections (default false: slices should not go through a relay). */
  runOnLimitedConnection?: boolean
}

/** Options of {@link fetchSlice}. */
export interface FetchSliceOptions extends ClientOptions {
  /**
   * Bytes of this slice already received (from offset 0), e.g. `SliceFetchInterruptedError.partial`
   * of an earlier attempt: only the rest is requested, the whole is verified.
   */
  partial?: Uint8Array
  /** Called as bytes arrive, with the total received so far. */
  onProgress?(received: number, size: number): void
}

async function openStream(
  libp2p: DialComponents,
  peer: DialTarget,
  protocol: string,
  options: ClientOptions,
  signal: AbortSignal,
): Promise<Stream> {
  try {
    return await libp2p.dialProtocol(peer, protocol, {
      signal,
      runOnLimitedConnection: options.runOnLimitedConnection ?? false,
    })
  } catch (err) {
    if (signal.aborted) throw abortError(signal)
    throw err
  }
}

/**
 * Fetches one slice from `peer` and verifies it against `hash` before returning it. Pieces arrive in
 * ≤ 256 KiB frames with backpressure. If the transfer stops part way, the error is a
 * `SliceFetchInterruptedError` whose `partial` can be passed back to resume (from this or another peer).
 * A wrong hash throws `SliceHashMismatchError`; a peer without the slice `SliceNotFoundError`.
 *
 * @example
 * ```ts
 * const slice = await fetchSlice(libp2p, providerPeerId, sliceHash, { timeout: 30_000 })
 * console.log(slice.number, slice.data.length)
 * ```
 */
export async function fetchSlice(
  libp2p: DialComponents,
  peer: DialTarget,
  hash: SliceHash,
  options: FetchSliceOptions = {},
): Promise<SliceRecord> {
  const partial = options.partial ?? new Uint8Array(0)
  const signal = withTimeout(options.signal, options.timeout ?? 60_000)
  const stream = await openStream(libp2p, peer, SLICE_FETCH_PROTOCOL, options, signal)
  const reader = new FrameReader(stream, {
    maxFrameBytes: MAX_SLICE_FRAME_BYTES,
    highWaterMark: 2 * 1024 * 1024,
  })
  let data: Uint8Array | undefined
  let received = 0
  try {
    stream.send(encodeFrame(encodeFetchRequest({ hash, offset: partial.length })))
    const headBody = await reader.next({ signal })
    if (headBody === null)
      throw new UnexpectedEndOfStreamError(
        'Provider closed the stream without a reply',
        'Ask another provider',
      )
    if (headBody[0] === MSG_ERROR) throw decodeErrorMessage(headBody, `Provider ${String(peerLabel(peer))}`)
    const head = decodeFetchResponse(headBody)
    if (head.offset !== partial.length || partial.length > head.size) {
      throw new DecodeError(
        `Provider answered from offset ${head.offset}, not ${partial.length}`,
        'Ask another provider',
      )
    }
    data = new Uint8Array(head.size)
    data.set(partial)
    received = partial.length
    const hasher = await createSliceHasher(head.number, head.fileHash)
    if (partial.length > 0) hasher.update(partial)
    while (received < head.size) {
      const frame = await reader.nextList({ signal })
      if (frame === null) {
        throw new UnexpectedEndOfStreamError(
          `Provider stopped at ${received} of ${head.size} bytes`,
          'Resume from another provider',
        )
      }
      if (frame.get(0) !== SliceMessageType.DATA)
        throw new DecodeError('Expected a DATA frame', 'Ask another provider')
      if (received + frame.byteLength - 1 > head.size)
        throw new DecodeError('Provider sent too many bytes', 'Ask another provider')
      let skip = 1
      for (const chunk of frame) {
        const piece = skip > 0 ? chunk.subarray(skip) : chunk
        skip = Math.max(0, skip - chunk.length)
        data.set(piece, received)
        hasher.update(piece)
        received += piece.length
      }
      options.onProgress?.(received, head.size)
    }
    const actual = hasher.finish()
    if (actual !== hash) {
      throw new SliceHashMismatchError(
        `Slice from ${String(peerLabel(peer))} hashes to ${actual}, not ${hash}`,
        'The bytes were discarded; fetch the slice from another provider',
      )
    }
    reader.release()
    void closeGracefully(stream, 2000)
    return { hash, fileHash: head.fileHash, number: head.number, data }
  } catch (err) {
    reader.release()
    if (stream.status === 'open') stream.abort(err as Error)
    const interrupted =
      isErrorNamed(err, 'UnexpectedEndOfStreamError') ||
      isErrorNamed(err, 'ProtocolTimeoutError') ||
      isErrorNamed(err, 'AbortedError')
    if (interrupted && data !== undefined && received > 0) {
      throw new SliceFetchInterruptedError(
        `Fetch of ${hash} stopped at ${received} of ${data.length} bytes`,
        data.slice(0, received),
        {
          cause: err,
        },
      )
    }
    throw err
  }
}

function peerLabel(peer: DialTarget): string {
  return Array.isArray(peer) ? peer.map(String).join(',') : String(peer)
}

/** Options of {@link openSlicePush}. */
export interface SlicePushOptions extends ClientOptions {
  /** Slices written but not yet acknowledged before `push` waits (default 4). */
  window?: number
}

/** Options of one {@link SlicePushSession.push}. */
export interface PushOneOptions {
  /** Peers the receiver should replicate this slice to (from placement). */
  forward?: PeerAddress[]
  /** The upload ticket that pays for the slice (core's `encodeTicket`). */
  ticket?: Uint8Array
}

/** A push stream: several slices pipelined, each acknowledged once durable on the receiver. */
export interface SlicePushSession {
  /**
   * Sends one slice; resolves once the receiver acknowledged it (stored durably). Calls may overlap:
   * up to `window` slices are in flight. The bytes are not copied; do not modify them until it resolves.
   */
  push(slice: SliceRecord, options?: PushOneOptions): Promise<void>
  /** Waits for outstanding acks and closes the stream. */
  close(): Promise<void>
  /** Drops the stream; outstanding pushes reject. */
  abort(err?: Error): void
}

interface Pending {
  hash: SliceHash
  resolve(): void
  reject(err: Error): void
}

/**
 * Opens a push stream to `peer`. Each slice goes as a header frame plus ≤ 256 KiB DATA frames in one
 * large stream write; the next slice is written while earlier ones wait for their acks.
 *
 * @example
 * ```ts
 * const session = await openSlicePush(libp2p, target, { window: 4 })
 * await Promise.all(slices.map((s) => session.push(s, { forward: [second] })))
 * await session.close()
 * ```
 */
export async function openSlicePush(
  libp2p: DialComponents,
  peer: DialTarget,
  options: SlicePushOptions = {},
): Promise<SlicePushSession> {
  const timeout = options.timeout ?? 60_000
  const dialSignal = withTimeout(options.signal, timeout)
  const stream = await openStream(libp2p, peer, SLICE_PUSH_PROTOCOL, options, dialSignal)
  const reader = new FrameReader(stream, { maxFrameBytes: MAX_CONTROL_FRAME_BYTES })
  const window = Math.max(1, options.window ?? 4)
  const pending: Pending[] = []
  const slotWaiters: Array<() => void> = []
  let writeChain: Promise<void> = Promise.resolve()
  const outstanding = new Set<Promise<void>>()
  let failure: Error | undefined
  let closed = false

  const releaseSlot = (): void => {
    slotWaiters.shift()?.()
  }

  const failAll = (err: Error): void => {
    failure ??= err
    for (const p of pending.splice(0)) p.reject(err)
    for (const w of slotWaiters.splice(0)) w()
  }

  const onAbort = (): void => {
    failAll(abortError(options.signal as AbortSignal))
    if (stream.status === 'open') stream.abort(failure as Error)
  }
  options.signal?.addEventListener('abort', onAbort, { once: true })
  stream.addEventListener('close', () => options.signal?.removeEventListener('abort', onAbort), {
    once: true,
  })

  // Read acks in the background.
  const readLoop = (async () => {
    try {
      for (;;) {
        const body = await reader.next()
        if (body === null) {
          if (pending.length > 0) {
            failAll(
              new UnexpectedEndOfStreamError(
                'Receiver closed before acknowledging every slice',
                'Push them again',
              ),
            )
          }
          return
        }
        if (body[0] === MSG_ERROR) {
          const err = decodeErrorMessage(body, `Receiver ${peerLabel(peer)}`)
          failAll(err)
          return
        }
        const acked = decodePushAck(body)
        const first = pending.shift()
        if (!first || first.hash !== acked) {
          throw new DecodeError(`Unexpected ack for ${acked}`, 'The receiver is out of step; push again')
        }
        first.resolve()
        releaseSlot()
      }
    } catch (err) {
      failAll(err as Error)
      if (stream.status === 'open') stream.abort(err as Error)
    }
  })()

  const write = async (slice: SliceRecord, forward: PeerAddress[], ticket?: Uint8Array): Promise<void> => {
    const header = encodePushHeader({
      hash: slice.hash,
      fileHash: slice.fileHash,
      number: slice.number,
      size: slice.data.length,
      forward,
      ...(ticket ? { ticket } : {}),
    })
    const list = new Uint8ArrayList(framePrefix(header.length), header)
    for (let o = 0; o < slice.data.length; o += MAX_PIECE_BYTES) {
      const piece = slice.data.subarray(o, Math.min(o + MAX_PIECE_BYTES, slice.data.length))
      list.append(dataFramePrefix(piece.length), piece)
    }
    await sendWithBackpressure(stream, list, withTimeout(options.signal, timeout))
  }

  return {
    async push(slice, pushOptions = {}) {
      if (failure) throw failure
      if (closed) throw new InvalidArgumentError('The push session is closed', 'Open a new one')
      if (pending.length + slotWaiters.length >= window) {
        await new Promise<void>((resolve) => slotWaiters.push(resolve))
        if (failure) throw failure
      }
      const acked = new Promise<void>((resolve, reject) => {
        pending.push({ hash: slice.hash, resolve, reject })
      })
      const tracked = acked.catch(() => {})
      outstanding.add(tracked)
      void tracked.finally(() => outstanding.delete(tracked))
      const w = writeChain.then(() =>
        failure ? undefined : write(slice, pushOptions.forward ?? [], pushOptions.ticket),
      )
      writeChain = w.catch(() => {})
      try {
        await w
      } catch (err) {
        failAll(err as Error)
        if (stream.status === 'open') stream.abort(err as Error)
      }
      const t = setTimeout(
        () =>
          failAll(new ProtocolTimeoutError(`No ack for ${slice.hash} within ${timeout} ms`, 'Push again')),
        timeout,
      )
      try {
        await acked
      } finally {
        clearTimeout(t)
      }
    },
    async close() {
      closed = true
      await writeChain
      await Promise.all([...outstanding])
      await closeGracefully(stream, 5000)
      await readLoop
      if (failure) throw failure
    },
    abort(err) {
      failAll(err ?? new AbortedError('Push session aborted'))
      if (stream.status === 'open') stream.abort(failure as Error)
    },
  }
}

/**
 * Pushes one slice and waits for its ack. For many slices prefer {@link openSlicePush}.
 *
 * @example
 * ```ts
 * await pushSlice(libp2p, resourceNodePeerId, { hash, fileHash, number: 1, data })
 * ```
 */
export async function pushSlice(
  libp2p: DialComponents,
  peer: DialTarget,
  slice: SliceRecord,
  options: SlicePushOptions & PushOneOptions = {},
): Promise<void> {
  const session = await openSlicePush(libp2p, peer, options)
  try {
    await session.push(slice, {
      ...(options.forward ? { forward: options.forward } : {}),
      ...(options.ticket ? { ticket: options.ticket } : {}),
    })
    await session.close()
  } catch (err) {
    session.abort(err as Error)
    throw err
  }
}
