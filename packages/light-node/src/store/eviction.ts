/** Eviction of cached slices, least recently used first (owned slices are never evicted). */
import type { SliceMeta, WriteTx } from './slice-schema.js'

/**
 * Evicts least recently used cached slices within `tx` until `bytes` are freed, sparing `keep`;
 * returns their records (the caller counts them once the transaction has committed).
 */
export async function evictLeastRecentlyUsed(
  tx: WriteTx,
  bytes: number,
  keep: Set<string>,
): Promise<SliceMeta[]> {
  const evicted: SliceMeta[] = []
  let freed = 0
  let cursor = await tx
    .objectStore('meta')
    .index('lru')
    .openCursor(IDBKeyRange.bound([0, Number.NEGATIVE_INFINITY], [0, Number.POSITIVE_INFINITY]))
  while (cursor && freed < bytes) {
    const meta = cursor.value
    if (!keep.has(meta.hash)) {
      await cursor.delete()
      await tx.objectStore('data').delete(meta.hash)
      freed += meta.size
      evicted.push(meta)
    }
    cursor = await cursor.continue()
  }
  return evicted
}
