import { AbortedError } from '@stratos-edge/core'
import { transfer } from 'comlink'
import { nodeStopped } from '../errors.js'

/** What a read pulls from: a download's verified slices in order. */
export interface ReadableDownload {
  /** The next bytes in order, undefined at the end. */
  next(): Promise<Uint8Array | undefined>
  cancel(): void
}

/**
 * Hands one download's bytes to the page, in order, in one of two ways:
 * - {@link chunk}: a fresh copy the worker transfers to the page (the page gets a new buffer each time);
 * - {@link fill}: copied into a buffer the page lent the worker (a BYOB read), so a page that reuses its
 *   buffers allocates nothing per chunk. Every buffer that lands on the page counts as V8 external memory
 *   there, and a page receiving 64 MiB of new buffers runs several major GCs on its main thread.
 */
export class FileReadCursor {
  /** The unread tail of the last slice, when a page buffer was smaller than the slice. */
  private rest: Uint8Array | undefined

  constructor(private readonly next: () => Promise<Uint8Array | undefined>) {}

  /** The next bytes in a buffer of their own, marked for transfer; undefined at the end. */
  async chunk(): Promise<Uint8Array | undefined> {
    // A copy: the slice's bytes may still sit in the store's pending write batch.
    const copy = (await this.take(Number.POSITIVE_INFINITY))?.slice()
    return copy && transfer(copy, [copy.buffer])
  }

  /**
   * Copies the next bytes (as many as fit and are ready) into `length` bytes at `offset` of a lent
   * `buffer`, and marks the same buffer for transfer back; `filled` is 0 at the end.
   */
  async fill(
    buffer: ArrayBuffer,
    offset: number,
    length: number,
  ): Promise<{ buffer: ArrayBuffer; filled: number }> {
    // A stream never asks for zero bytes; answering 0 would read as the end of the file.
    if (length < 1) throw new RangeError('A read needs room for at least one byte')
    const bytes = await this.take(length)
    if (bytes) new Uint8Array(buffer, offset, bytes.byteLength).set(bytes)
    return transfer({ buffer, filled: bytes?.byteLength ?? 0 }, [buffer])
  }

  private async take(max: number): Promise<Uint8Array | undefined> {
    let bytes = this.rest
    this.rest = undefined
    while (bytes === undefined || bytes.byteLength === 0) {
      bytes = await this.next()
      if (bytes === undefined) return undefined
    }
    if (bytes.byteLength <= max) return bytes
    this.rest = bytes.subarray(max)
    return bytes.subarray(0, max)
  }
}

/**
 * The worker's open reads by operation id. A read is forgotten once it ends, fails or is aborted; reading
 * one that is not open is an error (never an end of file), so an aborted download cannot pass for a
 * complete one.
 */
export class FileReads {
  private readonly open = new Map<string, { download: ReadableDownload; cursor: FileReadCursor }>()
  private stopped = false

  add(opId: string, download: ReadableDownload): void {
    if (this.stopped) {
      download.cancel()
      throw nodeStopped()
    }
    this.open.set(opId, { download, cursor: new FileReadCursor(() => download.next()) })
  }

  chunk(opId: string): Promise<Uint8Array | undefined> {
    return this.step(
      opId,
      (c) => c.chunk(),
      (chunk) => chunk === undefined,
    )
  }

  fill(opId: string, buffer: ArrayBuffer, offset: number, length: number) {
    return this.step(
      opId,
      (c) => c.fill(buffer, offset, length),
      (r) => r.filled === 0,
    )
  }

  /** Cancels a read's download; its next read fails. */
  abort(opId: string): void {
    this.open.get(opId)?.download.cancel()
    this.open.delete(opId)
  }

  /** Cancels every read; later reads fail with NodeStoppedError. */
  stop(): void {
    this.stopped = true
    for (const r of this.open.values()) r.download.cancel()
    this.open.clear()
  }

  private async step<T>(
    opId: string,
    read: (cursor: FileReadCursor) => Promise<T>,
    ended: (got: T) => boolean,
  ): Promise<T> {
    const op = this.open.get(opId)
    if (!op) {
      if (this.stopped) throw nodeStopped()
      throw new AbortedError('The download was aborted', 'Start it again')
    }
    try {
      const got = await read(op.cursor)
      if (ended(got)) this.open.delete(opId)
      return got
    } catch (err) {
      this.open.delete(opId)
      throw err
    }
  }
}
