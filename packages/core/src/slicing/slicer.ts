import { AbortedError, SlicingError } from '../errors.js'
import { CODEC_SDS } from '../ids/cid.js'
import { checkCodec, type FileHash, type FileHashOptions, fileHashFromDigest } from '../ids/file-hash.js'
import { createKeccakStream } from '../ids/keccak.js'
import { type SliceHash, sliceHashFromInnerDigest, sliceNumberPrefix } from '../ids/slice-hash.js'
import { type SliceInput, toChunks } from './input.js'
import { assertSliceSize, DEFAULT_SLICE_SIZE } from './slice-layout.js'

/** One slice's bytes as the slicer cuts them, before the file hash (and so the slice hash) is known. */
export interface SlicePiece {
  /** Slice number, from 1. */
  readonly number: number
  /** Offset of the slice's first byte in the file. */
  readonly offset: number
  readonly size: number
  /** The slice's bytes; ownership passes to the consumer (the slicer never touches it again). */
  readonly data: Uint8Array
  /** Keccak-256 of (uint64 BE number ‖ data): finish with `sliceHashFromInnerDigest(innerDigest, fileHash)`. */
  readonly innerDigest: Uint8Array
}

/** A slice of a finished file. */
export interface SliceInfo {
  readonly number: number
  readonly offset: number
  readonly size: number
  readonly hash: SliceHash
}

/** The result of slicing a whole file. */
export interface SlicedFile {
  readonly fileHash: FileHash
  readonly size: number
  readonly sliceSize: number
  readonly codec: number
  readonly slices: readonly SliceInfo[]
}

/** Options of {@link sliceFile} and {@link slicePieces}. */
export interface SliceFileOptions extends FileHashOptions {
  /** Slice size in bytes; default {@link DEFAULT_SLICE_SIZE}. */
  sliceSize?: number
  /** Stops reading and rejects with AbortedError. */
  signal?: AbortSignal
}

/** Options of {@link sliceFile}. */
export interface SliceFileCallbackOptions extends SliceFileOptions {
  /**
   * Called with each slice as soon as it is cut; the slicer waits for the returned promise before reading
   * on, so a slow consumer (an IndexedDB write, a network push) holds memory at one slice.
   */
  onSlice?: (piece: SlicePiece) => void | Promise<void>
}

function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted)
    throw new AbortedError('Slicing was aborted', 'Start the upload again', { cause: signal.reason })
}

/**
 * Cuts input into slices in one pass, hashing every byte into the whole-file Keccak and into its
 * slice's Keccak as it goes. Yields each slice as soon as it is complete and returns the finished
 * {@link SlicedFile} (file hash and slice hashes) when the input ends. Memory: one slice plus one chunk.
 *
 * @example
 * ```ts
 * const gen = slicePieces(file)
 * let step = await gen.next()
 * while (!step.done) { await store.putPending(step.value); step = await gen.next() }
 * const { fileHash, slices } = step.value
 * ```
 */
export async function* slicePieces(
  input: SliceInput,
  options: SliceFileOptions = {},
): AsyncGenerator<SlicePiece, SlicedFile, undefined> {
  const sliceSize = options.sliceSize ?? DEFAULT_SLICE_SIZE
  assertSliceSize(sliceSize)
  // Fail on a bad codec or tag before any slice is handed out, not after the last one.
  checkCodec(options.codec ?? CODEC_SDS)
  const fileKeccak = await createKeccakStream()
  const sliceKeccak = await createKeccakStream()
  const innerDigests: Uint8Array[] = []
  const sizes: number[] = []
  let number = 1
  const EMPTY = new Uint8Array(0)
  let buffer = EMPTY
  let filled = 0
  let total = 0
  sliceKeccak.update(sliceNumberPrefix(number))

  const cut = (): SlicePiece => {
    const innerDigest = sliceKeccak.digest()
    const data = filled === sliceSize ? buffer : buffer.slice(0, filled)
    const piece: SlicePiece = { number, offset: (number - 1) * sliceSize, size: filled, data, innerDigest }
    innerDigests.push(innerDigest)
    sizes.push(filled)
    number += 1
    // The next buffer is allocated when bytes arrive for it, so none is left over after the last slice.
    buffer = EMPTY
    filled = 0
    sliceKeccak.reset()
    sliceKeccak.update(sliceNumberPrefix(number))
    return piece
  }

  for await (const chunk of toChunks(input)) {
    checkAborted(options.signal)
    if (!(chunk instanceof Uint8Array)) {
      throw new SlicingError('Input produced a chunk that is not a Uint8Array', 'Yield Uint8Array chunks')
    }
    fileKeccak.update(chunk)
    total += chunk.length
    let at = 0
    while (at < chunk.length) {
      const take = Math.min(sliceSize - filled, chunk.length - at)
      const part = chunk.subarray(at, at + take)
      if (buffer.length === 0) buffer = new Uint8Array(sliceSize)
      sliceKeccak.update(part)
      buffer.set(part, filled)
      filled += take
      at += take
      if (filled === sliceSize) yield cut()
    }
  }
  checkAborted(options.signal)
  // The last partial slice, or the single empty slice of an empty file.
  if (filled > 0 || total === 0) yield cut()

  const fileHash = fileHashFromDigest(fileKeccak.digest(), options)
  const slices = innerDigests.map(
    (digest, i): SliceInfo => ({
      number: i + 1,
      offset: i * sliceSize,
      size: sizes[i] as number,
      hash: sliceHashFromInnerDigest(digest, fileHash),
    }),
  )
  return { fileHash, size: total, sliceSize, codec: options.codec ?? CODEC_SDS, slices }
}

/**
 * Slices a whole input, handing each slice to `onSlice`, and returns the file hash and slice hashes.
 *
 * @example
 * ```ts
 * const { fileHash, slices } = await sliceFile(file, { onSlice: async (p) => pending.set(p.number, p.data) })
 * ```
 */
export async function sliceFile(
  input: SliceInput,
  options: SliceFileCallbackOptions = {},
): Promise<SlicedFile> {
  const gen = slicePieces(input, options)
  for (;;) {
    const step = await gen.next()
    if (step.done) return step.value
    await options.onSlice?.(step.value)
  }
}

/** Options of {@link hashFile}. */
export interface HashFileOptions extends FileHashOptions {
  signal?: AbortSignal
  /**
   * Called with each chunk once it is hashed, and awaited (backpressure): lets a caller do more with the
   * same read, e.g. hand the chunk to another worker. The chunk is not used here afterwards.
   */
  onChunk?: (chunk: Uint8Array) => void | Promise<void>
}

/**
 * The file hash alone, streaming: one Keccak pass, no slicing, constant memory.
 *
 * @example
 * ```ts
 * const hash = await hashFile(file) // same as sliceFile(file).fileHash
 * ```
 */
export async function hashFile(
  input: SliceInput,
  options: HashFileOptions = {},
): Promise<{ fileHash: FileHash; size: number }> {
  const keccak = await createKeccakStream()
  let size = 0
  for await (const chunk of toChunks(input)) {
    checkAborted(options.signal)
    if (!(chunk instanceof Uint8Array)) {
      throw new SlicingError('Input produced a chunk that is not a Uint8Array', 'Yield Uint8Array chunks')
    }
    keccak.update(chunk)
    size += chunk.length
    await options.onChunk?.(chunk)
  }
  return { fileHash: fileHashFromDigest(keccak.digest(), options), size }
}
