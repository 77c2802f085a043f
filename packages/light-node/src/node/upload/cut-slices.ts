import {
  AbortedError,
  createKeccakStream,
  createSliceHasher,
  DEFAULT_SLICE_SIZE,
  type FileHash,
  type SliceHash,
  type SliceInput,
  sliceHashFromInnerDigest,
  sliceNumberPrefix,
  toChunks,
} from '@stratos-edge/core'
import { SliceDigestCountError } from '../../errors.js'

/** One slice cut from a file whose hash is already known. */
export interface CutSlice {
  readonly number: number
  readonly offset: number
  readonly size: number
  /**
   * The slice's bytes; for a Blob input, the slice as a part of that Blob, which IndexedDB and fetch take
   * without the bytes passing through this worker again.
   */
  readonly data: Uint8Array | Blob
  readonly hash: SliceHash
}

/**
 * Cuts a file into SDS slices when its file hash is already known (a first pass computed it), hashing
 * each byte once (into its slice hash) instead of twice, so every slice can be stored and pushed as soon
 * as it is cut. Memory: one slice plus one read chunk (a Blob: at most two slices, the next read ahead).
 */
export async function* cutSlices(
  input: SliceInput,
  fileHash: FileHash,
  options: {
    sliceSize?: number
    signal?: AbortSignal
    /** Each slice's inner digest, computed beforehand (see `slice-digests.ts`); Blob inputs only. */
    digests?: readonly Uint8Array[]
  } = {},
): AsyncGenerator<CutSlice, number, undefined> {
  const sliceSize = options.sliceSize ?? DEFAULT_SLICE_SIZE
  if (typeof Blob !== 'undefined' && input instanceof Blob) {
    return yield* cutBlobSlices(input, fileHash, sliceSize, options.signal, options.digests)
  }
  const keccak = await createKeccakStream()
  let number = 1
  let buffer = new Uint8Array(sliceSize)
  let filled = 0
  let total = 0
  keccak.update(sliceNumberPrefix(number))
  const cut = (): CutSlice => {
    const data = filled === sliceSize ? buffer : buffer.slice(0, filled)
    const piece: CutSlice = {
      number,
      offset: (number - 1) * sliceSize,
      size: filled,
      data,
      hash: sliceHashFromInnerDigest(keccak.digest(), fileHash),
    }
    number += 1
    buffer = new Uint8Array(sliceSize)
    filled = 0
    keccak.reset()
    keccak.update(sliceNumberPrefix(number))
    return piece
  }
  for await (const chunk of toChunks(input)) {
    if (options.signal?.aborted)
      throw new AbortedError('Upload aborted', 'Start it again', { cause: options.signal.reason })
    total += chunk.length
    let at = 0
    while (at < chunk.length) {
      const take = Math.min(sliceSize - filled, chunk.length - at)
      const part = chunk.subarray(at, at + take)
      keccak.update(part)
      buffer.set(part, filled)
      filled += take
      at += take
      if (filled === sliceSize) yield cut()
    }
  }
  if (filled > 0 || total === 0) yield cut()
  return total
}

/** A Blob is cut into Blob parts (no copy); each is read only if its digest is not known yet. */
async function* cutBlobSlices(
  blob: Blob,
  fileHash: FileHash,
  sliceSize: number,
  signal: AbortSignal | undefined,
  digests: readonly Uint8Array[] | undefined,
): AsyncGenerator<CutSlice, number, undefined> {
  const count = Math.max(1, Math.ceil(blob.size / sliceSize))
  if (digests && digests.length !== count)
    throw new SliceDigestCountError(
      `Expected ${count} slice digests, got ${digests.length}`,
      'Upload the file again without digests',
    )
  const part = (index: number): Blob =>
    blob.slice(index * sliceSize, Math.min(blob.size, (index + 1) * sliceSize))
  // With digests computed beforehand nothing is read here at all; else each slice is read (core reads
  // the next one ahead) only to be hashed.
  // (A Blob always gives an async iterable.)
  const reads = digests
    ? undefined
    : (toChunks(blob, sliceSize) as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]()
  for (let index = 0; index < count; index++) {
    if (signal?.aborted) throw new AbortedError('Upload aborted', 'Start it again', { cause: signal.reason })
    const number = index + 1
    const data = part(index)
    const digest = digests?.[index]
    let hash: SliceHash
    if (digest) hash = sliceHashFromInnerDigest(digest, fileHash)
    else {
      const hasher = await createSliceHasher(number, fileHash)
      hasher.update((await reads?.next())?.value ?? new Uint8Array())
      hash = hasher.finish()
    }
    yield { number, offset: index * sliceSize, size: data.size, data, hash }
  }
  return blob.size
}
