import { transfer } from 'comlink'
import type { DownloadProgress } from '../api-types.js'

/** The worker's read operations, as the page calls them through comlink. */
export interface FileReadSource {
  openRead(ref: string, opId: string, onProgress?: (progress: DownloadProgress) => void): Promise<void>
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
 * A stream the page drops without reading it to the end or cancelling it would leave its download in the
 * worker, holding the slices fetched ahead; once the page collects the stream, the worker drops it too.
 */
const abandoned = new FinalizationRegistry<{ source: FileReadSource; opId: string }>(({ source, opId }) => {
  void source.abort(opId).catch(() => {})
})

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
  onProgress?: (progress: DownloadProgress) => void,
): ReadableStream<Uint8Array> {
  let stream: ReadableByteStreamController | undefined
  let readable: ReadableStream<Uint8Array> | undefined
  // Like a fetch body: an abort errors the stream with the signal's reason at once (a read waiting on the
  // worker included), and the worker drops the download.
  const onAbort = () => {
    try {
      stream?.error(signal?.reason)
    } catch {
      // Already closed or errored.
    }
    done()
    void source.abort(opId).catch(() => {})
  }
  // The read has ended (or failed, or was cancelled): nothing left to drop in the worker.
  const done = () => {
    signal?.removeEventListener('abort', onAbort)
    if (readable) abandoned.unregister(readable)
  }
  const settled = async <T>(step: Promise<T>): Promise<T> => {
    try {
      return await step
    } catch (err) {
      done()
      throw err
    }
  }
  readable = new ReadableStream(
    {
      type: 'bytes',
      start(controller) {
        signal?.throwIfAborted()
        stream = controller
        signal?.addEventListener('abort', onAbort, { once: true })
        return settled(source.openRead(ref, opId, onProgress))
      },
      async pull(controller) {
        const request = controller.byobRequest
        if (request?.view) {
          const { buffer: lent, byteOffset, byteLength } = request.view
          const { buffer, filled } = await settled(
            source.readInto(
              opId,
              transfer(lent as ArrayBuffer, [lent as ArrayBuffer]),
              byteOffset,
              byteLength,
            ),
          )
          if (filled === 0) {
            done()
            controller.close()
          }
          // The worker returns the same memory as a new ArrayBuffer, which is what respondWithNewView is for.
          request.respondWithNewView(new Uint8Array(buffer, byteOffset, filled))
          return
        }
        const chunk = await settled(source.readChunk(opId))
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
  abandoned.register(readable, { source, opId }, readable)
  return readable
}
