/**
 * Slice digests computed in the node's own worker, one more read of the file: for a resumed upload when
 * no helper worker computed them while the file was hashed (see `slice-digests.ts`). A resumed upload
 * needs every slice hash before it sends anything, to ask which slices the network holds; one more read
 * pass costs less than sending the file again.
 */
import { AbortedError, createKeccakStream, sliceNumberPrefix } from '@stratos-edge/core'

/**
 * Keccak-256 of (uint64 BE slice number ‖ slice bytes) for every slice of `blob`, in order. Reads one
 * slice at a time.
 *
 * @example
 * ```ts
 * const digests = await inlineSliceDigests(file, sliceSize, signal)
 * const hashes = digests.map((d) => sliceHashFromInnerDigest(d, fileHash))
 * ```
 */
export async function inlineSliceDigests(
  blob: Blob,
  sliceSize: number,
  signal: AbortSignal,
): Promise<Uint8Array[]> {
  const keccak = await createKeccakStream()
  const count = Math.max(1, Math.ceil(blob.size / sliceSize))
  const digests: Uint8Array[] = []
  for (let n = 1; n <= count; n++) {
    if (signal.aborted) throw new AbortedError('Upload aborted', 'Start it again', { cause: signal.reason })
    const data = new Uint8Array(await blob.slice((n - 1) * sliceSize, n * sliceSize).arrayBuffer())
    keccak.reset()
    keccak.update(sliceNumberPrefix(n))
    keccak.update(data)
    digests.push(keccak.digest())
  }
  return digests
}
