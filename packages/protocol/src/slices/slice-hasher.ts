import { type FileHash, hashSlice, type SliceHash } from '@stratos-edge/core'
import { SliceHashMismatchError } from '../errors.js'

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
