import { transfer } from 'comlink'

/** The worker's read operations, as the page calls them through comlink. */
export interface FileReadSource {
  openRead(ref: string, opId: string): Promise<void>
  readChunk(opId: string): Promise<Uint8Array | undefined>
  readInto(
    opId: string,
    buffer: ArrayBuffer,
    offset: number,
    length: number,
  ): Promise<{ buffer: ArrayBuffer; filled: number }>
  abort(opId: string): Promise<void>
}

/**
 * A byte stream of a file the worker downloads. A default reader gets a new buffer per chunk (transferred
 * from the worker). A BYOB reader lends its buffer to the worker, which fills it and hands it back, so a
 * page that reuses one buffer receives a whole file without allocating: no external memory grows on the
 * page and no major GC runs on its main thread because of the transfer.
 */
export function openFileStream(
  source: FileReadSource,
  ref: string,
  opId: string,
  signal?: AbortSignal,
): ReadableStream<Uint8Array> {
  const onAbort = () => void source.abort(opId)
  const done = () => signal?.removeEventListener('abort', onAbort)
  return new ReadableStream(
    {
      type: 'bytes',
      start() {
        signal?.throwIfAborted()
        signal?.addEventListener('abort', onAbort, { once: true })
        return source.openRead(ref, opId)
      },
      async pull(controller) {
        const request = controller.byobRequest
        if (request?.view) {
          const { buffer: lent, byteOffset, byteLength } = request.view
          const { buffer, filled } = await source.readInto(
            opId,
            transfer(lent as ArrayBuffer, [lent as ArrayBuffer]),
            byteOffset,
            byteLength,
          )
          if (filled === 0) {
            done()
            controller.close()
          }
          // The worker returns the same memory as a new ArrayBuffer, which is what respondWithNewView is for.
          request.respondWithNewView(new Uint8Array(buffer, byteOffset, filled))
          return
        }
        const chunk = await source.readChunk(opId)
        if (chunk === undefined) {
          done()
          controller.close()
          return
        }
        controller.enqueue(chunk as Uint8Array<ArrayBuffer>) // transferred: never shared memory
      },
      async cancel() {
        done()
        await source.abort(opId)
      },
    },
    // No read-ahead on the page: bytes stay in the worker until a reader asks, into its own buffer if it
    // brings one. The worker's download already fetches slices ahead.
    { highWaterMark: 0 },
  ) as ReadableStream<Uint8Array>
}
