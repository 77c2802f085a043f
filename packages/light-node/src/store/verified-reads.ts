/**
 * Reads checked against the slice hash. A slice read and hashed right since the store opened need not
 * be hashed again for a reader that verifies it anyway (a peer fetching it), as the resource node's
 * store does; a slice written again or removed loses that mark.
 */
import type { FileHash, SliceHash } from '@stratos-edge/core'
import { SliceNotFoundError, SliceVerificationError } from '../errors.js'
import type { SliceDatabase, SliceMeta } from './slice-schema.js'

/** Options of {@link VerifiedReads}. */
export interface VerifiedReadsInit {
  /** Verify each slice's hash when it is read; default true. */
  verifyOnRead?: boolean
}

/** Edges of {@link VerifiedReads}. */
export interface VerifiedReadsComponents {
  database(): SliceDatabase
  /** Deletes a slice found corrupt or unreadable. */
  delete(hash: string): Promise<void>
  /** Notes a read (for least-recently-used eviction). */
  touch(hash: string): void
  /** Computes a slice hash. */
  hashOf(number: number, data: Uint8Array, fileHash: FileHash | string): Promise<SliceHash>
}

/** Options of a read: `verify` forces hashing on or off; `reverify: false` spares a slice verified since open. */
export interface ReadOptions {
  verify?: boolean
  reverify?: boolean
}

/** See the module doc. */
export class VerifiedReads {
  private readonly verifyOnRead: boolean
  /** Slices whose stored bytes a read has hashed right since this store opened (writes do not count). */
  private readonly verifiedSinceOpen = new Set<string>()
  /**
   * Counts rewrites and removals of stored slices: a read whose slice may have been replaced or removed
   * while it was being hashed (the count moved) does not mark it verified.
   */
  private replacedOrRemoved = 0

  constructor(
    init: VerifiedReadsInit,
    private readonly components: VerifiedReadsComponents,
  ) {
    this.verifyOnRead = init.verifyOnRead ?? true
  }

  /** Slices whose stored bytes were replaced or removed lose their mark. */
  forget(hashes: readonly string[]): void {
    if (hashes.length === 0) return
    this.replacedOrRemoved++
    for (const hash of hashes) this.verifiedSinceOpen.delete(hash)
  }

  /**
   * Reads a slice and its record in one transaction, verifying its hash (see {@link ReadOptions}). A
   * slice that fails is deleted and SliceVerificationError thrown; a missing one gives SliceNotFoundError.
   */
  async read(
    hash: SliceHash | string,
    options: ReadOptions = {},
  ): Promise<{ meta: SliceMeta; data: Uint8Array }> {
    const changesBefore = this.replacedOrRemoved
    const tx = this.components.database().transaction(['data', 'meta'], 'readonly')
    const [meta, value] = await Promise.all([
      tx.objectStore('meta').get(hash),
      tx.objectStore('data').get(hash),
    ])
    await tx.done
    if (!meta || !value)
      throw new SliceNotFoundError(`Slice ${hash} is not stored here`, 'Fetch it from a provider')
    let data: Uint8Array
    try {
      data = value instanceof Uint8Array ? value : new Uint8Array(await value.arrayBuffer())
    } catch (err) {
      // The browser lost the stored Blob's bytes: as good as corrupt.
      await this.components.delete(hash)
      throw new SliceVerificationError(
        `Stored slice ${hash} cannot be read`,
        'It was deleted; fetch it again',
        {
          cause: err,
        },
      )
    }
    const verify =
      options.verify ??
      (this.verifyOnRead && !(options.reverify === false && this.verifiedSinceOpen.has(hash)))
    if (verify) {
      const actual = await this.components.hashOf(meta.number, data, meta.fileHash)
      if (actual !== hash || data.byteLength !== meta.size) {
        await this.components.delete(hash)
        throw new SliceVerificationError(
          `Stored slice ${hash} is corrupt (hash ${actual})`,
          'It was deleted; fetch it again from a provider',
        )
      }
      if (this.replacedOrRemoved === changesBefore) this.verifiedSinceOpen.add(hash)
    }
    this.components.touch(hash)
    return { meta, data }
  }
}

/** Throws SliceVerificationError unless `data` hashes to `hash` as slice `number` of `fileHash`. */
export async function verifySlice(
  store: { hashOf(number: number, data: Uint8Array, fileHash: FileHash | string): Promise<SliceHash> },
  hash: SliceHash | string,
  number: number,
  data: Uint8Array,
  fileHash: FileHash | string,
): Promise<void> {
  const actual = await store.hashOf(number, data, fileHash)
  if (actual !== hash) {
    throw new SliceVerificationError(
      `Slice ${number} hashes to ${actual}, expected ${hash}`,
      'Fetch it from another provider',
    )
  }
}
