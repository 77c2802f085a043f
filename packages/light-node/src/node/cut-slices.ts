import {
  AbortedError,
  createKeccakStream,
  DEFAULT_SLICE_SIZE,
  type FileHash,
  type SliceHash,
  type SliceInput,
  sliceHashFromInnerDigest,
  sliceNumberPrefix,
  toChunks,
} from '@stratos-edge/core'

/** One slice cut from a file whose hash is already known. */
export interface CutSlice {
  readonly number: number
  readonly offset: number
  readonly size: number
  readonly data: Uint8Array
  readonly hash: SliceHash
}

/**
 * Cuts a file into SDS slices when its file hash is already known (a first pass computed it), hashing
 * each byte once (into its slice hash) instead of twice, so every slice can be stored and pushed as soon
 * as it is cut. Memory: one slice plus one read chunk.
 */
export async function* cutSlices(
  input: SliceInput,
  fileHash: FileHash,
  options: { sliceSize?: number; signal?: AbortSignal } = {},
): AsyncGenerator<CutSlice, number, undefined> {
  const sliceSize = options.sliceSize ?? DEFAULT_SLICE_SIZE
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
