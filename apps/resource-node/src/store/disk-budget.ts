import { StoreFullError } from '@stratos-edge/protocol'
import type { ManifestBudget } from './disk-manifest-store.js'

/** Options of {@link createDiskBudget}. */
export interface DiskBudgetInit {
  /** Bytes the store may take on disk: slice files, manifests and staged temp files together. */
  maxBytes: number
}

/** The store's disk budget, shared by slice files, manifests and staged temp files. */
export interface DiskBudget extends ManifestBudget {
  readonly maxBytes: number
  /** Bytes on disk, plus writes under way and staged temp files. */
  readonly usedBytes: number
  /**
   * Reserves `bytes` for a write, `credit` of them counted already (a staged file becoming the slice
   * file); throws StoreFullError when they do not fit. The returned function settles the reservation.
   */
  reserve(bytes: number, what: string, credit?: number): (kept: boolean) => void
  /** Counts a staged temp file's bytes when they fit; false (nothing counted) when they do not. */
  stage(bytes: number): boolean
  /** Stops counting staged bytes (adopted, discarded, or their write failed). */
  unstage(bytes: number): void
  /** Stops counting a file removed from disk. */
  release(bytes: number): void
}

/**
 * Creates the disk budget: files found at open (`count`), writes under way (`reserve`, settled once
 * written or failed), and staged temp files (`stage`, `unstage`) all count against one `maxBytes`.
 *
 * @example
 * ```ts
 * const budget = createDiskBudget({ maxBytes: 10 * 2 ** 30 })
 * const settle = budget.reserve(fileBytes, 'a slice')
 * try { await write(); settle(true) } catch (err) { settle(false); throw err }
 * ```
 */
export function createDiskBudget(init: DiskBudgetInit): DiskBudget {
  const { maxBytes } = init
  let used = 0
  let reserved = 0
  let staged = 0
  const total = () => used + reserved + staged
  return {
    maxBytes,
    get usedBytes() {
      return total()
    },
    count(bytes) {
      used += bytes
    },
    reserve(bytes, what, credit = 0) {
      if (total() - credit + bytes > maxBytes) {
        throw new StoreFullError(
          `Slice store full: ${total() - credit} of ${maxBytes} bytes used, ${bytes} more needed for ${what}`,
          'Raise --max-bytes, free space, or send it to another node',
        )
      }
      reserved += bytes
      let settled = false
      return (kept) => {
        if (settled) return
        settled = true
        reserved -= bytes
        if (kept) used += bytes
      }
    },
    stage(bytes) {
      if (total() + bytes > maxBytes) return false
      staged += bytes
      return true
    },
    unstage(bytes) {
      staged -= bytes
    },
    release(bytes) {
      used -= bytes
    },
  }
}
