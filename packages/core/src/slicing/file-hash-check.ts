import { FileVerificationError } from '../errors.js'
import { type FileHash, fileHashFromDigest, parseFileHash } from '../ids/file-hash.js'
import { createKeccakStream } from '../ids/keccak.js'

/** Checks bytes against the file hash they should have, fed in order as they pass. */
export interface FileHashCheck {
  update(bytes: Uint8Array): void
  /** Throws FileVerificationError unless everything fed hashes to the expected file hash. */
  check(): void
}

/**
 * Starts checking a file's bytes against `expected`. Each slice is verified against its manifest, but
 * only the file hash ties a manifest to the content asked for (anyone can sign a manifest naming any file
 * hash), so a reader that trusts no owner checks the whole file this way.
 *
 * @example
 * ```ts
 * const check = await createFileHashCheck(fileHash)
 * for await (const bytes of download) check.update(bytes)
 * check.check()
 * ```
 */
export async function createFileHashCheck(expected: FileHash): Promise<FileHashCheck> {
  const keccak = await createKeccakStream()
  return {
    update: (bytes) => keccak.update(bytes),
    check: () => assertFileDigest(expected, keccak.digest()),
  }
}

/**
 * Throws FileVerificationError unless `fileDigest` (the Keccak-256 of a file's bytes, computed elsewhere:
 * on a worker, say) gives the file hash `expected`.
 */
export function assertFileDigest(expected: FileHash, fileDigest: Uint8Array): void {
  const actual = fileHashFromDigest(fileDigest, { codec: parseFileHash(expected).codec })
  if (actual !== expected) {
    throw new FileVerificationError(
      `The file's bytes hash to ${actual}, not to ${expected}`,
      "Its manifest does not describe this file: use the owner's sdm:// URI, or ask another index",
    )
  }
}
