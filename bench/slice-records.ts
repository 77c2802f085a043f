// A bench file cut into the slice records the upload paths take.
import { type SlicedFile, sliceFile } from '@stratos-edge/core'
import type { SliceRecord } from '@stratos-edge/protocol'

/** Slices `bytes` with core; each record's data is a view into `bytes` (no copy). */
export async function sliceRecords(
  bytes: Uint8Array,
  sliceSize: number,
): Promise<{ sliced: SlicedFile; slices: SliceRecord[] }> {
  const sliced = await sliceFile(bytes, { sliceSize })
  const slices: SliceRecord[] = sliced.slices.map((s) => ({
    hash: s.hash,
    fileHash: sliced.fileHash,
    number: s.number,
    data: bytes.subarray(s.offset, s.offset + s.size),
  }))
  return { sliced, slices }
}
