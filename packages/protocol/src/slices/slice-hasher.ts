import {
  createKeccakStream,
  type FileHash,
  type KeccakStream,
  type SliceHash,
  sliceHashFromInnerDigest,
  sliceNumberPrefix,
} from '@stratos-edge/core'
import { SliceHashMismatchError } from '../errors.js'

const pool: KeccakStream[] = []
const POOL_MAX = 8

async function takeKeccak(): Promise<KeccakStream> {
  const k = pool.pop()
  if (k) {
    k.reset()
    return k
  }
  return createKeccakStream()
}

function giveBack(k: KeccakStream): void {
  if (pool.length < POOL_MAX) pool.push(k)
}

/**
 * An incremental slice hash: feed the slice's bytes as they arrive (hashing overlaps the network), then
 * {@link SliceHasher.finish}. Uses the WebAssembly Keccak from core (hundreds of MB/s).
 */
export interface SliceHasher {
  update(piece: Uint8Array): void
  /** The SDS slice hash of everything fed so far. The hasher cannot be used afterwards. */
  finish(): SliceHash
}

/**
 * Starts an incremental slice hash for slice `sliceNumber` of `fileHash`.
 *
 * @example
 * ```ts
 * const h = await createSliceHasher(1, fileHash)
 * for (const piece of pieces) h.update(piece)
 * h.finish() === expectedSliceHash
 * ```
 */
export async function createSliceHasher(
  sliceNumber: number,
  fileHash: FileHash | string,
): Promise<SliceHasher> {
  const k = await takeKeccak()
  k.update(sliceNumberPrefix(sliceNumber))
  let done = false
  return {
    update(piece) {
      if (!done) k.update(piece)
    },
    finish() {
      done = true
      const digest = k.digest()
      giveBack(k)
      return sliceHashFromInnerDigest(digest, fileHash)
    },
  }
}

/** The SDS slice hash of a slice in memory, computed with the fast WebAssembly Keccak. */
export async function hashSlice(
  sliceNumber: number,
  data: Uint8Array,
  fileHash: FileHash | string,
): Promise<SliceHash> {
  const h = await createSliceHasher(sliceNumber, fileHash)
  h.update(data)
  return h.finish()
}

/**
 * Throws SliceHashMismatchError unless `data` is slice `sliceNumber` of `fileHash` with hash `expected`.
 *
 * @example
 * ```ts
 * await verifySlice({ hash, fileHash, number: 1, data })
 * ```
 */
export async function verifySlice(slice: {
  hash: SliceHash | string
  fileHash: FileHash | string
  number: number
  data: Uint8Array
}): Promise<void> {
  const actual = await hashSlice(slice.number, slice.data, slice.fileHash)
  if (actual !== slice.hash) {
    throw new SliceHashMismatchError(
      `Slice ${slice.number} of ${slice.fileHash} hashes to ${actual}, not ${slice.hash}`,
      'The bytes are corrupt or the sender lied; they were discarded. Fetch the slice from another provider',
    )
  }
}
