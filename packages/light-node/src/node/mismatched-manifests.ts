import { toEvmAddress } from '@stratos-edge/core'

/** Options of {@link MismatchedManifests}. */
export interface MismatchedManifestsInit {
  /** Most files remembered; the least recently used is forgotten first (default 4096). */
  maxFiles?: number
  /** Most owners remembered per file; the oldest is forgotten first (default 16). */
  maxOwnersPerFile?: number
}

/**
 * Which owners' manifests of a file failed the whole-file check on this node (their slices do not make
 * the file their hash names), in memory and bounded: a read by bare file hash then takes another owner's
 * manifest instead of the same one again. Forgotten when the worker ends.
 *
 * @example
 * ```ts
 * const mismatched = new MismatchedManifests()
 * mismatched.add(manifest.fileHash, manifest.owner) // verifyWholeFile's onMismatch
 * if (mismatched.has(fileHash, candidate.owner)) // skip it
 * ```
 */
export class MismatchedManifests {
  private readonly files = new Map<string, Set<string>>()
  private readonly maxFiles: number
  private readonly maxOwners: number

  constructor(init: MismatchedManifestsInit = {}) {
    this.maxFiles = Math.max(1, init.maxFiles ?? 4096)
    this.maxOwners = Math.max(1, init.maxOwnersPerFile ?? 16)
  }

  /** Files remembered. */
  get size(): number {
    return this.files.size
  }

  /** Remembers that `owner`'s manifest of `fileHash` failed the whole-file check. */
  add(fileHash: string, owner: string): void {
    const key = toEvmAddress(owner)
    const owners = this.touch(fileHash) ?? new Set<string>()
    this.files.set(fileHash, owners)
    owners.delete(key)
    owners.add(key)
    if (owners.size > this.maxOwners) owners.delete(owners.values().next().value as string)
    if (this.files.size > this.maxFiles) this.files.delete(this.files.keys().next().value as string)
  }

  /** Whether `owner`'s manifest of `fileHash` failed the whole-file check here. */
  has(fileHash: string, owner: string): boolean {
    const owners = this.touch(fileHash)
    return owners?.has(toEvmAddress(owner)) === true
  }

  /** The file's owners, moved to the most recently used end. */
  private touch(fileHash: string): Set<string> | undefined {
    const owners = this.files.get(fileHash)
    if (owners) {
      this.files.delete(fileHash)
      this.files.set(fileHash, owners)
    }
    return owners
  }
}
