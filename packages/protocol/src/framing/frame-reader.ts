import type { Stream, StreamCloseEvent } from '@libp2p/interface'
import { AbortedError, DecodeError } from '@stratos-edge/core'
import { Uint8ArrayList } from 'uint8arraylist'
import { readVarint } from '../codec/varint.js'
import { FrameTooLargeError, ProtocolTimeoutError, UnexpectedEndOfStreamError } from '../errors.js'

/** Options of {@link FrameReader}. */
export interface FrameReaderOptions {
  /** Largest frame body accepted; a larger declared length throws FrameTooLargeError at once. */
  maxFrameBytes: number
  /**
   * Bytes buffered before the stream is paused (the muxer then stops granting send window to the
   * remote, which is the backpressure). Default 2 MiB.
   */
  highWaterMark?: number
}

/** Options of one {@link FrameReader.next} call. */
export interface ReadFrameOptions {
  signal?: AbortSignal
}

/**
 * Reads length-prefixed frames (unsigned LEB128 length, then the body) from a libp2p 3 stream with a
 * bounded buffer: the stream is paused above the high-water mark and resumed once the reader catches up.
 * The declared length is checked before the body arrives, so an oversized frame costs nothing.
 *
 * @example
 * ```ts
 * const reader = new FrameReader(stream, { maxFrameBytes: 64 * 1024 })
 * const body = await reader.next() // Uint8Array, or null at a clean end of stream
 * ```
 */
export class FrameReader {
  private readonly buffer = new Uint8ArrayList()
  private readonly maxFrameBytes: number
  private readonly highWaterMark: number
  private ended = false
  private endError: Error | undefined
  private wake: (() => void) | undefined

  constructor(
    private readonly stream: Stream,
    options: FrameReaderOptions,
  ) {
    this.maxFrameBytes = options.maxFrameBytes
    this.highWaterMark = options.highWaterMark ?? 2 * 1024 * 1024
    // While paused, bytes already granted by the muxer window still arrive into the stream's buffer.
    stream.maxReadBufferLength = Math.max(stream.maxReadBufferLength, 32 * 1024 * 1024)
    stream.addEventListener('message', this.onMessage)
    stream.addEventListener('remoteCloseWrite', this.onEnd)
    stream.addEventListener('end', this.onEnd)
    stream.addEventListener('close', this.onClose)
    // Attached late: the remote may already have closed (its data, if any, is dispatched to us next).
    if (stream.status !== 'open' || stream.readableEnded) this.ended = true
    else if (stream.remoteWriteStatus === 'closed' && stream.readBufferLength === 0) this.ended = true
  }

  private readonly onMessage = (evt: { data: Uint8Array | Uint8ArrayList }): void => {
    this.buffer.append(evt.data)
    if (this.buffer.byteLength > this.highWaterMark && this.stream.readStatus === 'readable') {
      this.stream.pause()
    }
    this.notify()
  }

  private readonly onEnd = (): void => {
    this.ended = true
    this.notify()
  }

  private readonly onClose = (evt: StreamCloseEvent): void => {
    this.ended = true
    if (evt.error) this.endError = evt.error
    this.notify()
  }

  private notify(): void {
    const w = this.wake
    this.wake = undefined
    w?.()
  }

  /** Bytes received but not yet returned as frames. */
  get buffered(): number {
    return this.buffer.byteLength
  }

  /** Stops listening to the stream. */
  release(): void {
    this.stream.removeEventListener('message', this.onMessage)
    this.stream.removeEventListener('remoteCloseWrite', this.onEnd)
    this.stream.removeEventListener('end', this.onEnd)
    this.stream.removeEventListener('close', this.onClose)
  }

  /**
   * The next frame body, or `null` when the remote closed cleanly between frames. Throws
   * FrameTooLargeError, DecodeError (bad length prefix), UnexpectedEndOfStreamError, AbortedError or
   * ProtocolTimeoutError (when the signal's reason is a TimeoutError).
   */
  async next(options: ReadFrameOptions = {}): Promise<Uint8Array | null> {
    const list = await this.nextList(options)
    return list === null ? null : list.subarray()
  }

  /**
   * Like {@link FrameReader.next} but returns the body as a `Uint8ArrayList` that shares memory with
   * the received chunks (no copy): for data pieces that are copied once into their final buffer.
   */
  async nextList(options: ReadFrameOptions = {}): Promise<Uint8ArrayList | null> {
    for (;;) {
      if (options.signal?.aborted) throw abortError(options.signal)
      const frame = this.tryTake()
      if (frame !== undefined) return frame
      if (this.ended) {
        if (this.buffer.byteLength === 0 && this.endError === undefined) return null
        throw new UnexpectedEndOfStreamError(
          this.endError
            ? `Stream closed with an error: ${this.endError.message}`
            : `Stream ended inside a frame (${this.buffer.byteLength} bytes pending)`,
          'The peer hung up; retry, or ask another provider',
          { cause: this.endError },
        )
      }
      await this.waitForData(options.signal)
    }
  }

  private tryTake(): Uint8ArrayList | undefined {
    const buf = this.buffer
    if (buf.byteLength === 0) return undefined
    const header = readVarint((i) => buf.get(i), buf.byteLength)
    if (header === undefined) return undefined
    if (header.value > this.maxFrameBytes) {
      throw new FrameTooLargeError(
        `Frame of ${header.value} bytes is over the limit of ${this.maxFrameBytes}`,
        'The peer sent an oversized message; the stream is closed',
      )
    }
    if (header.value === 0) throw new DecodeError('Empty frame', 'The peer sent a malformed message')
    const end = header.length + header.value
    if (buf.byteLength < end) return undefined
    const body = buf.sublist(header.length, end)
    buf.consume(end)
    if (this.stream.readStatus === 'paused' && buf.byteLength <= this.highWaterMark / 2) {
      try {
        this.stream.resume()
      } catch {
        // the stream closed meanwhile; next() reports the end
      }
    }
    return body
  }

  private waitForData(signal: AbortSignal | undefined): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortError(signal))
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        this.wake = undefined
        reject(abortError(signal as AbortSignal))
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.wake = () => {
        signal?.removeEventListener('abort', onAbort)
        resolve()
      }
    })
  }
}

/** Maps an aborted signal to ProtocolTimeoutError (timeouts) or AbortedError. */
export function abortError(signal: AbortSignal): Error {
  const reason = signal.reason as { name?: string; message?: string } | undefined
  if (reason?.name === 'TimeoutError' || reason?.name === 'ProtocolTimeoutError') {
    return new ProtocolTimeoutError('Timed out waiting for the peer', 'Retry, or ask another provider', {
      cause: reason,
    })
  }
  return new AbortedError('Operation aborted', undefined, { cause: reason })
}
