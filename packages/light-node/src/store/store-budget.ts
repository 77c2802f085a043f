/**
 * What the slice store holds (owned and cached bytes, slices, files) against its byte budget and the
 * browser's storage quota. The counters change only once a transaction has committed.
 */
import { StorageQuotaError } from '../errors.js'
import type { SliceMeta } from './slice-schema.js'

/** Kept free below the browser quota, so that IndexedDB's own overhead never hits it mid-write. */
export const QUOTA_MARGIN = 8 * 1024 * 1024

const DEFAULT_BUDGET = 2 * 1024 * 1024 * 1024

/** Options of {@link StoreBudget}. */
export interface StoreBudgetInit {
  /** Byte budget for slice data; cached slices are evicted past it. Default 2 GiB. */
  budgetBytes?: number
}

/** Edges of {@link StoreBudget}. */
export interface StoreBudgetComponents {
  /** Default `navigator.storage.estimate()`; return undefined when unknown. */
  estimate?: () => Promise<{ usage?: number; quota?: number } | undefined>
}

async function defaultEstimate(): Promise<{ usage?: number; quota?: number } | undefined> {
  const storage = (globalThis.navigator as Navigator | undefined)?.storage
  if (!storage?.estimate) return undefined
  return storage.estimate()
}

/** The store's usage counters, its byte budget and the browser's quota. */
export class StoreBudget {
  budgetBytes: number
  pinnedBytes = 0
  cachedBytes = 0
  slices = 0
  files = 0
  /** Cached slices evicted since the store opened. */
  evicted = 0
  private readonly estimate: () => Promise<{ usage?: number; quota?: number } | undefined>
  private lastEstimate: { usage?: number; quota?: number; at: number } | undefined
  private writtenSinceEstimate = 0

  constructor(init: StoreBudgetInit = {}, components: StoreBudgetComponents = {}) {
    this.budgetBytes = init.budgetBytes ?? DEFAULT_BUDGET
    this.estimate = components.estimate ?? defaultEstimate
  }

  /**
   * Throws StorageQuotaError when `bytes` more (of which `pinned` are owned) would not fit in the budget
   * even after evicting every cached slice, or would exceed the browser's quota. Call before writing.
   */
  async assertCanStore(bytes: number, pinnedBytes = bytes): Promise<void> {
    if (this.pinnedBytes + pinnedBytes > this.budgetBytes || this.pinnedBytes + bytes > this.budgetBytes) {
      throw this.budgetError(bytes)
    }
    const room = await this.quotaRoom(bytes)
    // Cached slices count as free: a commit evicts them to stay under the quota.
    if (bytes > room + this.cachedBytes) throw quotaError(bytes, room + this.cachedBytes)
  }

  /**
   * Bytes the browser's quota still takes (less {@link QUOTA_MARGIN}), infinite when unknown. The
   * estimate is asked again when the cached answer is over 2 s old or the projected room is under 4×
   * the write; in between, bytes written are added.
   */
  async quotaRoom(bytes: number): Promise<number> {
    const estimate = await this.quotaEstimate(bytes)
    return estimate?.quota !== undefined && estimate.usage !== undefined
      ? estimate.quota - estimate.usage - QUOTA_MARGIN
      : Number.POSITIVE_INFINITY
  }

  private async quotaEstimate(bytes: number): Promise<{ usage?: number; quota?: number } | undefined> {
    const cached = this.lastEstimate
    const now = Date.now()
    if (cached && now - cached.at < 2000 && cached.quota !== undefined && cached.usage !== undefined) {
      const usage = cached.usage + this.writtenSinceEstimate
      if (cached.quota - usage > 4 * bytes + QUOTA_MARGIN) return { usage, quota: cached.quota }
    }
    const fresh = await this.estimate().catch(() => undefined)
    this.lastEstimate = fresh ? { ...fresh, at: now } : undefined
    this.writtenSinceEstimate = 0
    return fresh
  }

  /** Counts bytes a committed transaction added (until the quota is asked again). */
  wrote(bytes: number): void {
    this.writtenSinceEstimate += bytes
  }

  /** Counts slices a committed transaction removed. */
  removed(metas: readonly SliceMeta[]): void {
    for (const meta of metas) {
      if (meta.pinned) this.pinnedBytes -= meta.size
      else this.cachedBytes -= meta.size
    }
    this.slices -= metas.length
  }

  budgetError(bytes: number): StorageQuotaError {
    return new StorageQuotaError(
      `Storing ${bytes} bytes would exceed the light node's budget of ${this.budgetBytes} bytes (${this.pinnedBytes} owned)`,
      'Contribute more storage or remove owned files',
    )
  }
}

/** The browser's quota would be exceeded. */
export function quotaError(bytes: number, room: number, cause?: unknown): StorageQuotaError {
  return new StorageQuotaError(
    `Storing ${bytes} bytes would exceed the browser's storage quota (${Math.max(0, room)} bytes free)`,
    'Free browser storage or lower the upload size',
    cause === undefined ? undefined : { cause },
  )
}

/** The browser refused a write for its quota (the request's error, or the aborted transaction's). */
export function isQuotaExceeded(err: unknown, tx: { error?: DOMException | null }): boolean {
  return (err as Error | undefined)?.name === 'QuotaExceededError' || tx.error?.name === 'QuotaExceededError'
}
