/**
 * One batch of slices written in one transaction, evicting least recently used cached slices so that it
 * fits in the budget and under the browser's quota.
 */
import { evictLeastRecentlyUsed } from './eviction.js'
import { byteSize, type SliceDatabase, type SliceEntry, type SliceMeta } from './slice-schema.js'
import { isQuotaExceeded, quotaError, type StoreBudget } from './store-budget.js'

/** Edges of {@link commitBatch}. */
export interface BatchCommitComponents {
  database: SliceDatabase
  /** Its counters are updated once the transaction has committed. */
  budget: StoreBudget
  now(): number
}

/** What a committed batch changed besides adding slices. */
export interface CommittedBatch {
  /** Slices that were already stored and were written again. */
  readonly rewritten: string[]
  /** Cached slices evicted to make room. */
  readonly evicted: SliceMeta[]
}

function sumOf(entries: readonly SliceEntry[], bytes: (e: SliceEntry) => number): number {
  let total = 0
  for (const e of entries) total += bytes(e)
  return total
}

/**
 * Writes `batch` in one transaction. Owned slices that cannot fit fail the whole batch before anything is
 * written (StorageQuotaError); cached ones that cannot fit fail it when `strict`, and are left out
 * otherwise. The same slice twice is stored once, owned if either copy is.
 */
export async function commitBatch(
  batch: readonly SliceEntry[],
  strict: boolean,
  components: BatchCommitComponents,
): Promise<CommittedBatch> {
  const { database, budget } = components
  const unique = new Map<string, SliceEntry>()
  for (const e of batch) {
    const seen = unique.get(e.hash)
    unique.set(e.hash, seen?.pinned && !e.pinned ? seen : e)
  }
  let entries = [...unique.values()]
  if (entries.length === 0) return { rewritten: [], evicted: [] }
  // Only bytes not held yet take room: a slice stored again (a re-upload, a second download) is
  // rewritten in place, and one held as cached that becomes owned moves from one count to the other.
  // (A plan, read in one transaction before the quota is asked: the write transaction reads the records
  // again, since a delete may land in between.)
  const planning = database.transaction('meta').store
  const held = await Promise.all(entries.map((e) => planning.get(e.hash)))
  const heldOf = new Map(entries.map((e, i) => [e.hash as string, held[i]]))
  const newBytesOf = (e: SliceEntry): number => (heldOf.get(e.hash) ? 0 : byteSize(e.data))
  const pinnedIn = sumOf(entries, (e) => (e.pinned && !heldOf.get(e.hash)?.pinned ? byteSize(e.data) : 0))
  if (budget.pinnedBytes + pinnedIn > budget.budgetBytes) throw budget.budgetError(pinnedIn)
  const quotaRoom = await budget.quotaRoom(sumOf(entries, newBytesOf))
  // What fits once every cached slice is evicted, in the budget and under the quota.
  let room = Math.min(budget.budgetBytes - budget.pinnedBytes, quotaRoom + budget.cachedBytes) - pinnedIn
  if (room < 0) throw quotaError(pinnedIn, quotaRoom)
  const cachedIn = sumOf(
    entries.filter((e) => !e.pinned),
    newBytesOf,
  )
  if (strict && cachedIn > room) {
    throw budget.pinnedBytes + pinnedIn + cachedIn > budget.budgetBytes
      ? budget.budgetError(pinnedIn + cachedIn)
      : quotaError(pinnedIn + cachedIn, quotaRoom)
  }
  entries = entries.filter((e) => {
    if (e.pinned) return true
    room -= newBytesOf(e)
    return room >= 0
  })
  const newBytes = sumOf(entries, newBytesOf)
  const tx = database.transaction(['data', 'meta', 'files'], 'readwrite')
  const done = tx.done
  done.catch(() => {}) // the failure is thrown below, from the request or from `done`
  const now = components.now()
  let addPinned = 0
  let addCached = 0
  let added = 0
  let evicted: SliceMeta[] = []
  const rewritten: string[] = []
  try {
    // Evict inside the same transaction, so the store never holds more than the budget or the quota.
    const over = Math.max(
      budget.pinnedBytes + budget.cachedBytes + newBytes - budget.budgetBytes,
      newBytes - quotaRoom,
    )
    if (over > 0) evicted = await evictLeastRecentlyUsed(tx, over, new Set(entries.map((e) => e.hash)))
    const metaStore = tx.objectStore('meta')
    const dataStore = tx.objectStore('data')
    const writes: Promise<unknown>[] = []
    // Every request fails when the transaction aborts; only the first failure is thrown.
    const write = (request: Promise<unknown>) => {
      request.catch(() => {})
      writes.push(request)
    }
    // All lookups in one round trip, not one per slice.
    const olds = await Promise.all(entries.map((e) => metaStore.get(e.hash)))
    for (const [i, e] of entries.entries()) {
      const old = olds[i]
      const pinned: 0 | 1 = e.pinned || old?.pinned ? 1 : 0
      const size = byteSize(e.data)
      if (old) {
        if (old.pinned) addPinned -= old.size
        else addCached -= old.size
        rewritten.push(e.hash)
      } else {
        added++
      }
      if (pinned) addPinned += size
      else addCached += size
      write(
        metaStore.put({
          hash: e.hash,
          fileHash: e.fileHash,
          number: e.number,
          size,
          pinned,
          lastAccess: now,
        }),
      )
      write(dataStore.put(e.data, e.hash))
    }
    await Promise.all(writes)
    await done
  } catch (err) {
    // The transaction is undone as a whole: nothing of this batch was written, nothing evicted.
    try {
      tx.abort()
    } catch {
      // already aborted by the browser
    }
    throw isQuotaExceeded(err, tx) ? quotaError(newBytes, quotaRoom, err) : err
  }
  // Only what the committed transaction did is counted.
  budget.removed(evicted)
  budget.evicted += evicted.length
  budget.wrote(newBytes)
  budget.pinnedBytes += addPinned
  budget.cachedBytes += addCached
  budget.slices += added
  return { rewritten, evicted }
}
