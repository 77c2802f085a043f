import { createFileHashCheck, type FileHash } from '@stratos-edge/core'
import type { ReadableDownload } from './file-reads.js'

/**
 * A download whose bytes are checked against the file hash as a whole, for a manifest nothing vouches
 * for (a bare file hash: anyone can sign a manifest naming it, and its slices verify against that
 * manifest alone). The last bytes are held back until the whole file hashes right, so a reader never
 * sees a clean end of the wrong file: it gets FileVerificationError instead.
 */
export async function verifyWholeFile(
  download: ReadableDownload,
  fileHash: FileHash,
  on: { onVerified?(): void; onMismatch?(): void } = {},
): Promise<ReadableDownload> {
  const check = await createFileHashCheck(fileHash)
  let held: Uint8Array | undefined
  let ended = false
  let failure: unknown
  return {
    async next() {
      for (;;) {
        if (failure !== undefined) throw failure
        if (ended) return undefined
        const bytes = await download.next()
        if (bytes === undefined) {
          ended = true
          try {
            check.check()
          } catch (err) {
            failure = err
            held = undefined
            on.onMismatch?.()
            throw err
          }
          on.onVerified?.()
          const last = held
          held = undefined
          return last
        }
        check.update(bytes)
        const out = held
        held = bytes
        if (out) return out
      }
    },
    cancel() {
      held = undefined
      download.cancel()
    },
  }
}
