import { InvalidArgumentError } from '../errors.js'

/**
 * Default slice size for browser nodes: 4 MiB.
 *
 * Why not SDS's 32 MiB: a browser must hold a whole slice in memory to verify it before storing it, and
 * IndexedDB writes a value in one piece, so 32 MiB values mean 32 MiB spikes per parallel fetch. 4 MiB is
 * 16 wire pieces of 256 KiB (the largest WebRTC message), big enough that per-slice costs (an index
 * entry, a ticket check, a signed receipt, one IndexedDB put) stay well under 1% of transfer time, and
 * small enough that a 16 MiB file spreads over 4 providers in parallel and a corrupt slice costs at most
 * 4 MiB to fetch again. The slice hash formula works for any size, so this is a parameter.
 */
export const DEFAULT_SLICE_SIZE = 4 * 1024 * 1024
/** Smallest slice size accepted: 16 KiB. Smaller slices make indexes and receipts dominate. */
export const MIN_SLICE_SIZE = 16 * 1024
/** Largest slice size accepted: SDS's own 32 MiB. */
export const MAX_SLICE_SIZE = 32 * 1024 * 1024

/** Throws InvalidArgumentError unless `sliceSize` is an integer within [MIN_SLICE_SIZE, MAX_SLICE_SIZE]. */
export function assertSliceSize(sliceSize: number): void {
  if (!Number.isSafeInteger(sliceSize) || sliceSize < MIN_SLICE_SIZE || sliceSize > MAX_SLICE_SIZE) {
    throw new InvalidArgumentError(
      `Slice size ${sliceSize} is out of range`,
      `Use an integer between ${MIN_SLICE_SIZE} and ${MAX_SLICE_SIZE} bytes`,
    )
  }
}

/**
 * Number of slices of a file. An empty file has one empty slice, as SDS uploads it.
 *
 * @example
 * ```ts
 * sliceCount(10 * 1024 * 1024, 4 * 1024 * 1024) // 3
 * ```
 */
export function sliceCount(fileSize: number, sliceSize: number): number {
  return Math.max(1, Math.ceil(fileSize / sliceSize))
}

/**
 * Byte range of slice `number` (from 1, as SDS numbers them): [(n-1)·size, min(n·size, fileSize)).
 *
 * @example
 * ```ts
 * sliceRange(3, 10 * 1024 * 1024, 4 * 1024 * 1024) // { start: 8388608, end: 10485760 }
 * ```
 */
export function sliceRange(
  number: number,
  fileSize: number,
  sliceSize: number,
): { start: number; end: number } {
  if (!Number.isSafeInteger(number) || number < 1 || number > sliceCount(fileSize, sliceSize)) {
    throw new InvalidArgumentError(`Slice ${number} does not exist in a file of ${fileSize} bytes`)
  }
  const start = (number - 1) * sliceSize
  return { start, end: Math.min(start + sliceSize, fileSize) }
}
