import { SlicingError } from '../errors.js'

/** Anything the slicer can read: a Blob/File, a byte stream, or an (async) iterable of chunks. */
export type SliceInput =
  | Blob
  | ReadableStream<Uint8Array>
  | AsyncIterable<Uint8Array>
  | Iterable<Uint8Array>
  | Uint8Array

/** Reads a Blob in bounded chunks so memory stays flat whatever the Blob's size. */
async function* readBlob(blob: Blob, chunkSize: number): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < blob.size; offset += chunkSize) {
    yield new Uint8Array(await blob.slice(offset, Math.min(offset + chunkSize, blob.size)).arrayBuffer())
  }
}

async function* readStream(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader()
  let finished = false
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) {
        finished = true
        return
      }
      yield value
    }
  } finally {
    // Stopped early (abort, error, consumer gave up): tell the source so it stops producing.
    if (!finished) await reader.cancel().catch(() => {})
    reader.releaseLock()
  }
}

/** Normalises any {@link SliceInput} to an async iterable of byte chunks. */
export function toChunks(
  input: SliceInput,
  blobChunkSize = 1024 * 1024,
): AsyncIterable<Uint8Array> | Iterable<Uint8Array> {
  if (input instanceof Uint8Array) return [input]
  if (typeof Blob !== 'undefined' && input instanceof Blob) return readBlob(input, blobChunkSize)
  if (typeof ReadableStream !== 'undefined' && input instanceof ReadableStream) return readStream(input)
  if (
    typeof input === 'object' &&
    input !== null &&
    (Symbol.asyncIterator in input || Symbol.iterator in input)
  )
    return input as AsyncIterable<Uint8Array>
  throw new SlicingError(
    'Unsupported slicer input',
    'Pass a Blob/File, a ReadableStream, or an (async) iterable of Uint8Array',
  )
}
