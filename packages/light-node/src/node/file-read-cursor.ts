import { transfer } from 'comlink'

/**
 * Hands a download's bytes to the page, in order, in one of two ways:
 * - {@link chunk}: a fresh copy the worker transfers to the page (the page gets a new buffer each time);
 * - {@link fill}: copied into a buffer the page lent the worker (a BYOB read), so a page that reuses its
 *   buffers allocates nothing per chunk. Every buffer that lands on the page counts as V8 external memory
 *   there, and a page receiving 64 MiB of new buffers runs several major GCs on its main thread.
 */
export class FileReadCursor {
  /** The unread tail of the last slice, when a page buffer was smaller than the slice. */
  private rest: Uint8Array | undefined

  /** `next` yields the file's bytes in order (a download's verified slices), undefined at the end. */
  constructor(private readonly next: () => Promise<Uint8Array | undefined>) {}

  /** The next bytes in a buffer of their own, marked for transfer; undefined at the end. */
  async chunk(): Promise<Uint8Array | undefined> {
    // A copy: the slice's bytes may still sit in the store's pending write batch.
    const copy = (await this.take(Number.POSITIVE_INFINITY))?.slice()
    return copy && transfer(copy, [copy.buffer])
  }

  /**
   * Copies the next bytes (as many as fit and are ready) into `length` bytes at `offset` of a lent
   * `buffer`, and marks the buffer for transfer back; `filled` is 0 at the end.
   */
  async fill(
    buffer: ArrayBuffer,
    offset: number,
    length: number,
  ): Promise<{ buffer: ArrayBuffer; filled: number }> {
    const bytes = length > 0 ? await this.take(length) : undefined
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
