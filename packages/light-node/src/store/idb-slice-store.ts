import { type FileHash, hashSlice, type SliceHash } from '@stratos-edge/core'
import { type DBSchema, type IDBPDatabase, type IDBPTransaction, openDB } from 'idb'
import { SliceNotFoundError, SliceVerificationError, StorageQuotaError } from '../errors.js'

/** One slice to store. */
export interface SliceEntry {
  readonly hash: SliceHash
  readonly fileHash: FileHash
  /** Slice number, from 1. */
  readonly number: number
  /**
   * The bytes, or a Blob holding them (a part of a File being uploaded): IndexedDB copies a Blob's
   * contents itself, without the bytes passing through this thread.
   */
  readonly data: Uint8Array | Blob
  /** Owned (pinned) slices are never evicted; cached slices are evicted least recently used first. */
  readonly pinned: boolean
}

/** A slice's bookkeeping record. */
export interface SliceMeta {
  readonly hash: SliceHash
  readonly fileHash: FileHash
  readonly number: number
  readonly size: number
  /** 1 = owned (pinned), 0 = cached. A number because booleans are not IndexedDB keys. */
  pinned: 0 | 1
  lastAccess: number
}

/** One slice of a file record. */
export interface FileSlice {
  readonly number: number
  readonly size: number
  readonly hash: SliceHash
}

/** What the store knows about a file: its layout, and whether every slice was written. */
export interface FileRecord {
  readonly fileHash: FileHash
  readonly size: number
  readonly sliceSize: number
  readonly slices: readonly FileSlice[]
  /** `writing` until every slice is stored; a `writing` record found at open is a crashed write. */
  state: 'writing' | 'complete'
  pinned: 0 | 1
  /** The encoded signed manifest, when known. */
  manifest?: Uint8Array
  updatedAt: number
}

/** Sizes and counts of a slice store. */
export interface SliceStoreStat {
  readonly pinnedBytes: number
  readonly cachedBytes: number
  readonly budgetBytes: number
  readonly slices: number
  readonly files: number
  /** What the last open found and discarded: half-written files and orphan records. */
  readonly recovered: { readonly files: number; readonly slices: number }
  readonly evictedSlices: number
}

/** Options of {@link createIdbSliceStore}. */
export interface IdbSliceStoreInit {
  /** IndexedDB database name; default `stratos-edge-slices`. */
  name?: string
  /** Byte budget for slice data; cached slices are evicted past it. Default 2 GiB. */
  budgetBytes?: number
  /** Bytes queued before a batch is committed in one transaction; default 32 MiB. */
  batchBytes?: number
  /** A partial batch is committed this long after the last queued write; default 50 ms. */
  idleFlushMs?: number
  /** Verify each slice's hash when it is read; default true. */
  verifyOnRead?: boolean
  /**
   * Called with the hashes of stored slices this store no longer holds, once the transaction that
   * removed them has committed: cached slices evicted past the budget, a file's slices dropped, a slice
   * deleted (also one that failed verification on read). Not called for what {@link IdbSliceStore.open}
   * discards (half-written files and orphan records: never fully stored). Errors it throws are ignored.
   */
  onSlicesRemoved?: (hashes: SliceHash[]) => void
}

/** Edges of the store that tests (or other environments) may replace. */
export interface IdbSliceStoreComponents {
  /** Default `globalThis.indexedDB`. */
  indexedDB?: IDBFactory
  /** Default `navigator.storage.estimate()`; return undefined when unknown. */
  estimate?: () => Promise<{ usage?: number; quota?: number } | undefined>
  now?: () => number
}

interface SliceSchema extends DBSchema {
  data: { key: string; value: Uint8Array | Blob }
  meta: { key: string; value: SliceMeta; indexes: { lru: [number, number]; file: string } }
  files: { key: string; value: FileRecord }
  settings: { key: string; value: Uint8Array }
}

type WriteTx = IDBPTransaction<SliceSchema, ('data' | 'meta' | 'files')[], 'readwrite'>

const DEFAULT_BUDGET = 2 * 1024 * 1024 * 1024
const DEFAULT_BATCH = 32 * 1024 * 1024
/** Kept free below the browser quota, so that IndexedDB's own overhead never hits it mid-write. */
const QUOTA_MARGIN = 8 * 1024 * 1024

async function defaultEstimate(): Promise<{ usage?: number; quota?: number } | undefined> {
  const storage = (globalThis.navigator as Navigator | undefined)?.storage
  if (!storage?.estimate) return undefined
  return storage.estimate()
}

/**
 * The IndexedDB slice store: slices are written in batched transactions, owned (pinned) slices are
 * kept, cached slices live within a byte budget (least recently used evicted first), every read is
 * verified against the slice hash, the quota is checked before anything is written, and a file whose
 * write was cut short (tab crash) is found and discarded when the store opens.
 *
 * @example
 * ```ts
 * const store = await createIdbSliceStore({ budgetBytes: 512 << 20 })
 * await store.put({ hash, fileHash, number: 1, data, pinned: true })
 * await store.flush()
 * const bytes = await store.get(hash)
 * ```
 */
export async function createIdbSliceStore(
  init: IdbSliceStoreInit = {},
  components: IdbSliceStoreComponents = {},
): Promise<IdbSliceStore> {
  const store = new IdbSliceStore(init, components)
  await store.open()
  return store
}

/** The setting that keeps the budget `contribute` chose. */
const BUDGET_SETTING = 'budget-bytes'

/** See {@link createIdbSliceStore}. */
export class IdbSliceStore {
  readonly name: string
  budgetBytes: number
  private readonly batchBytes: number
  private readonly verifyOnRead: boolean
  /**
   * Slices whose stored bytes a read has hashed right since this store opened. A reader that verifies
   * what it gets anyway (a peer fetching the slice) need not make the store hash them again; see get().
   * Writes do not count (the store does not check what it is given), and a slice written again or removed
   * loses its mark.
   */
  private readonly verifiedSinceOpen = new Set<string>()
  /**
   * Counts rewrites and removals of stored slices: a read whose slice may have been replaced or removed
   * while it was being hashed (the count moved) does not mark it verified.
   */
  private replacedOrRemoved = 0
  private readonly factory: IDBFactory | undefined
  private readonly estimate: () => Promise<{ usage?: number; quota?: number } | undefined>
  private readonly now: () => number
  private db: IDBPDatabase<SliceSchema> | undefined
  private pinnedBytes = 0
  private cachedBytes = 0
  private sliceCount = 0
  private fileCount = 0
  private evicted = 0
  private recovered = { files: 0, slices: 0 }
  private pending: SliceEntry[] = []
  private pendingBytes = 0
  /** Settles once every batch started so far is committed or failed; never rejects. */
  private committing: Promise<void> = Promise.resolve()
  /** Failures of batched commits that no flush() has thrown yet. */
  private unreported: { error: unknown }[] = []
  private readonly touched = new Map<string, number>()
  private idleTimer: ReturnType<typeof setTimeout> | undefined
  private lastEstimate: { usage?: number; quota?: number; at: number } | undefined
  private writtenSinceEstimate = 0
  private readonly idleFlushMs: number
  private readonly onSlicesRemoved: ((hashes: SliceHash[]) => void) | undefined

  constructor(init: IdbSliceStoreInit, components: IdbSliceStoreComponents) {
    this.name = init.name ?? 'stratos-edge-slices'
    this.budgetBytes = init.budgetBytes ?? DEFAULT_BUDGET
    this.batchBytes = init.batchBytes ?? DEFAULT_BATCH
    this.verifyOnRead = init.verifyOnRead ?? true
    this.idleFlushMs = init.idleFlushMs ?? 50
    this.onSlicesRemoved = init.onSlicesRemoved
    this.factory = components.indexedDB
    this.estimate = components.estimate ?? defaultEstimate
    this.now = components.now ?? Date.now
  }

  /** Opens the database and discards what a crashed write left behind. */
  async open(): Promise<void> {
    if (this.factory) (globalThis as { indexedDB?: IDBFactory }).indexedDB = this.factory
    this.db = await openDB<SliceSchema>(this.name, 1, {
      upgrade(db) {
        db.createObjectStore('data')
        const meta = db.createObjectStore('meta', { keyPath: 'hash' })
        meta.createIndex('lru', ['pinned', 'lastAccess'])
        meta.createIndex('file', 'fileHash')
        db.createObjectStore('files', { keyPath: 'fileHash' })
        db.createObjectStore('settings')
      },
    })
    await this.recover()
    // A budget the user chose (`contribute`) outlives reloads, and wins over the default from the code.
    const saved = await this.getSetting(BUDGET_SETTING)
    if (saved?.byteLength === 8)
      this.budgetBytes = new DataView(saved.buffer, saved.byteOffset, 8).getFloat64(0)
  }

  /**
   * Sets the byte budget (never below what is owned) and keeps it across reloads; resolves the budget
   * set. Cached slices past a lower budget are evicted by the next writes.
   */
  async setBudget(bytes: number): Promise<number> {
    const budget = Math.max(bytes, this.pinnedBytes)
    const value = new Uint8Array(8)
    new DataView(value.buffer).setFloat64(0, budget)
    await this.setSetting(BUDGET_SETTING, value)
    this.budgetBytes = budget
    return budget
  }

  private get database(): IDBPDatabase<SliceSchema> {
    if (!this.db) throw new Error('Slice store is not open')
    return this.db
  }

  private async recover(): Promise<void> {
    const tx = this.database.transaction(['data', 'meta', 'files'], 'readwrite')
    let files = 0
    let slices = 0
    for (const file of await tx.objectStore('files').getAll()) {
      if (file.state === 'complete') continue
      files++
      for (const hash of await tx.objectStore('meta').index('file').getAllKeys(file.fileHash)) {
        await tx.objectStore('meta').delete(hash)
        await tx.objectStore('data').delete(hash)
        slices++
      }
      await tx.objectStore('files').delete(file.fileHash)
    }
    const dataKeys = new Set(await tx.objectStore('data').getAllKeys())
    const metas = await tx.objectStore('meta').getAll()
    const metaKeys = new Set<string>()
    this.pinnedBytes = 0
    this.cachedBytes = 0
    this.sliceCount = 0
    for (const meta of metas) {
      if (!dataKeys.has(meta.hash)) {
        await tx.objectStore('meta').delete(meta.hash)
        slices++
        continue
      }
      metaKeys.add(meta.hash)
      this.sliceCount++
      if (meta.pinned) this.pinnedBytes += meta.size
      else this.cachedBytes += meta.size
    }
    for (const key of dataKeys) {
      if (metaKeys.has(key)) continue
      await tx.objectStore('data').delete(key)
      slices++
    }
    this.fileCount = await tx.objectStore('files').count()
    await tx.done
    this.recovered = { files, slices }
  }

  /** Current sizes and counts. */
  stat(): SliceStoreStat {
    return {
      pinnedBytes: this.pinnedBytes,
      cachedBytes: this.cachedBytes,
      budgetBytes: this.budgetBytes,
      slices: this.sliceCount,
      files: this.fileCount,
      recovered: { ...this.recovered },
      evictedSlices: this.evicted,
    }
  }

  /**
   * Throws StorageQuotaError when `bytes` more (of which `pinned` are owned) would not fit in the budget
   * even after evicting every cached slice, or would exceed the browser's quota. Call before writing.
   */
  async assertCanStore(bytes: number, pinnedBytes = bytes): Promise<void> {
    if (this.pinnedBytes + pinnedBytes > this.budgetBytes || this.pinnedBytes + bytes > this.budgetBytes) {
      throw this.budgetError(bytes)
    }
    const estimate = await this.quotaEstimate(bytes)
    if (estimate?.quota !== undefined && estimate.usage !== undefined) {
      // Cached slices count as free: a commit evicts them to stay under the quota.
      const room = estimate.quota - estimate.usage - QUOTA_MARGIN
      if (bytes > room + this.cachedBytes) throw quotaError(bytes, room + this.cachedBytes)
    }
  }

  /**
   * The browser's usage and quota. `navigator.storage.estimate()` is asked again when the cached answer
   * is over 2 s old or the projected room is under 4× the write; in between, bytes written are added.
   */
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

  /**
   * Queues a slice; it is committed with others in one transaction when the batch is full or on
   * {@link IdbSliceStore.flush}. Resolves when queued, waiting only when two batches are outstanding. A
   * cached slice that does not fit when its batch commits is not stored (it is only a cache); owned slices
   * that do not fit fail their batch with StorageQuotaError, which the next flush() throws.
   */
  async put(entry: SliceEntry): Promise<void> {
    this.pending.push(entry)
    this.pendingBytes += byteSize(entry.data)
    if (this.pendingBytes >= this.batchBytes) {
      await this.queueCommit()
      return
    }
    // A partial batch is committed shortly after the writes pause, so queued slices become readable.
    if (this.idleTimer === undefined) {
      this.idleTimer = setTimeout(() => {
        this.idleTimer = undefined
        if (this.pending.length > 0) void this.queueCommit()
      }, this.idleFlushMs)
    }
  }

  /** Commits everything queued and waits for it; throws the failure of any batch not reported yet. */
  async flush(): Promise<void> {
    await this.settle()
    this.reportFailure()
  }

  /** Writes several slices in one transaction now; throws StorageQuotaError if any does not fit. */
  async putMany(entries: readonly SliceEntry[]): Promise<void> {
    // In line with the batches: two commits at once would both plan against the same counters.
    const run = this.committing.then(() => this.commit(entries, true))
    this.committing = run.catch(() => {}) // its failure is this caller's, not flush()'s
    await run
  }

  /** Commits everything queued and waits, without reporting failures (they stay for flush()). */
  private async settle(): Promise<void> {
    if (this.pending.length > 0) void this.queueCommit()
    await this.committing
  }

  /**
   * Starts committing the queued slices after the batch before them; resolves when that previous batch
   * has settled (the backpressure of put()). A failed batch never stops the ones after it.
   */
  private queueCommit(): Promise<void> {
    const batch = this.pending
    this.pending = []
    this.pendingBytes = 0
    const previous = this.committing
    this.committing = previous
      .then(() => this.commit(batch, false))
      .catch((error: unknown) => {
        this.unreported.push({ error })
      })
    return previous
  }

  private reportFailure(): void {
    const first = this.unreported[0]
    this.unreported = []
    if (first) throw first.error
  }

  /**
   * Writes `batch` in one transaction, evicting least recently used cached slices so that it fits in the
   * budget and under the browser's quota. Owned slices that cannot fit fail the whole batch before anything
   * is written; cached ones that cannot fit fail it when `strict`, and are left out otherwise.
   */
  private async commit(batch: readonly SliceEntry[], strict: boolean): Promise<void> {
    // One write per slice: the same slice queued twice (two downloads of one file) is stored once, owned
    // if either copy is.
    const unique = new Map<string, SliceEntry>()
    for (const e of batch) {
      const seen = unique.get(e.hash)
      unique.set(e.hash, seen?.pinned && !e.pinned ? seen : e)
    }
    let entries = [...unique.values()]
    if (entries.length === 0) return
    // Only bytes not held yet take room: a slice stored again (a re-upload, a second download) is
    // rewritten in place, and one held as cached that becomes owned moves from one count to the other.
    // (A plan, read in one transaction before the quota is asked: the write transaction reads the records
    // again, since a delete may land in between.)
    const planning = this.database.transaction('meta').store
    const held = await Promise.all(entries.map((e) => planning.get(e.hash)))
    const heldOf = new Map(entries.map((e, i) => [e.hash as string, held[i]]))
    const newBytesOf = (e: SliceEntry): number => (heldOf.get(e.hash) ? 0 : byteSize(e.data))
    const pinnedIn = sumOf(entries, (e) => (e.pinned && !heldOf.get(e.hash)?.pinned ? byteSize(e.data) : 0))
    if (this.pinnedBytes + pinnedIn > this.budgetBytes) throw this.budgetError(pinnedIn)
    const estimate = await this.quotaEstimate(sumOf(entries, newBytesOf))
    const quotaRoom =
      estimate?.quota !== undefined && estimate.usage !== undefined
        ? estimate.quota - estimate.usage - QUOTA_MARGIN
        : Number.POSITIVE_INFINITY
    // What fits once every cached slice is evicted, in the budget and under the quota.
    let room = Math.min(this.budgetBytes - this.pinnedBytes, quotaRoom + this.cachedBytes) - pinnedIn
    if (room < 0) throw quotaError(pinnedIn, quotaRoom)
    const cachedIn = sumOf(
      entries.filter((e) => !e.pinned),
      newBytesOf,
    )
    if (strict && cachedIn > room) {
      throw this.pinnedBytes + pinnedIn + cachedIn > this.budgetBytes
        ? this.budgetError(pinnedIn + cachedIn)
        : quotaError(pinnedIn + cachedIn, quotaRoom)
    }
    entries = entries.filter((e) => {
      if (e.pinned) return true
      room -= newBytesOf(e)
      return room >= 0
    })
    const newBytes = sumOf(entries, newBytesOf)
    const tx = this.database.transaction(['data', 'meta', 'files'], 'readwrite')
    const done = tx.done
    done.catch(() => {}) // the failure is thrown below, from the request or from `done`
    const now = this.now()
    let addPinned = 0
    let addCached = 0
    let added = 0
    let evicted: SliceMeta[] = []
    const rewritten: string[] = []
    try {
      // Evict inside the same transaction, so the store never holds more than the budget or the quota.
      const over = Math.max(
        this.pinnedBytes + this.cachedBytes + newBytes - this.budgetBytes,
        newBytes - quotaRoom,
      )
      if (over > 0) evicted = await this.evictIn(tx, over, new Set(entries.map((e) => e.hash)))
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
    for (const meta of evicted) this.cachedBytes -= meta.size
    this.sliceCount -= evicted.length
    this.evicted += evicted.length
    this.writtenSinceEstimate += newBytes
    this.pinnedBytes += addPinned
    this.cachedBytes += addCached
    this.sliceCount += added
    this.forgetVerified(rewritten)
    this.removed(evicted.map((m) => m.hash))
  }

  private budgetError(bytes: number): StorageQuotaError {
    return new StorageQuotaError(
      `Storing ${bytes} bytes would exceed the light node's budget of ${this.budgetBytes} bytes (${this.pinnedBytes} owned)`,
      'Contribute more storage or remove owned files',
    )
  }

  /** Slices whose stored bytes were replaced or removed lose their mark (see `verifiedSinceOpen`). */
  private forgetVerified(hashes: readonly string[]): void {
    if (hashes.length === 0) return
    this.replacedOrRemoved++
    for (const hash of hashes) this.verifiedSinceOpen.delete(hash)
  }

  /** Reports slices removed by a committed transaction to `onSlicesRemoved`. */
  private removed(hashes: SliceHash[]): void {
    this.forgetVerified(hashes)
    if (hashes.length === 0 || !this.onSlicesRemoved) return
    try {
      this.onSlicesRemoved(hashes)
    } catch {
      // The store's own work is done; a listener's failure is not the store's.
    }
  }

  /**
   * Evicts least recently used cached slices within `tx`; returns their records (the caller counts them
   * once the transaction has committed).
   */
  private async evictIn(tx: WriteTx, bytes: number, keep: Set<string>): Promise<SliceMeta[]> {
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

  /** True when the slice is stored. */
  async has(hash: SliceHash | string): Promise<boolean> {
    return (await this.database.getKey('meta', hash)) !== undefined
  }

  /** The slice's bookkeeping record, if stored. */
  async meta(hash: SliceHash | string): Promise<SliceMeta | undefined> {
    return this.database.get('meta', hash)
  }

  /**
   * Reads a slice, verifying its hash (unless disabled). A slice that fails verification is deleted and
   * SliceVerificationError thrown; a missing one gives SliceNotFoundError. With `reverify: false` (for a
   * reader that verifies the bytes itself, like a peer fetching them) a slice already verified by a read
   * since the store opened is not hashed again, as the resource node's store does.
   */
  async get(
    hash: SliceHash | string,
    options: { verify?: boolean; reverify?: boolean } = {},
  ): Promise<Uint8Array> {
    return (await this.read(hash, options)).data
  }

  /** {@link IdbSliceStore.get}, with the slice's bookkeeping record read in the same transaction. */
  async read(
    hash: SliceHash | string,
    options: { verify?: boolean; reverify?: boolean } = {},
  ): Promise<{ meta: SliceMeta; data: Uint8Array }> {
    const changesBefore = this.replacedOrRemoved
    const tx = this.database.transaction(['data', 'meta'], 'readonly')
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
      await this.delete(hash)
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
      const actual = await this.hashOf(meta.number, data, meta.fileHash)
      if (actual !== hash || data.byteLength !== meta.size) {
        await this.delete(hash)
        throw new SliceVerificationError(
          `Stored slice ${hash} is corrupt (hash ${actual})`,
          'It was deleted; fetch it again from a provider',
        )
      }
      if (this.replacedOrRemoved === changesBefore) this.verifiedSinceOpen.add(hash)
    }
    this.touch(hash)
    return { meta, data }
  }

  /** Computes a slice hash with core's WASM slice hasher. */
  hashOf(number: number, data: Uint8Array, fileHash: FileHash | string): Promise<SliceHash> {
    return hashSlice(number, data, fileHash)
  }

  private touch(hash: string): void {
    const first = this.touched.size === 0
    this.touched.set(hash, this.now())
    if (first) setTimeout(() => void this.flushTouches(), 1000)
  }

  private async flushTouches(): Promise<void> {
    const touched = [...this.touched]
    this.touched.clear()
    if (!this.db) return
    const tx = this.db.transaction('meta', 'readwrite')
    for (const [hash, at] of touched) {
      const meta = await tx.store.get(hash)
      if (meta) {
        meta.lastAccess = at
        await tx.store.put(meta)
      }
    }
    await tx.done.catch(() => {})
  }

  /** Deletes one slice. */
  async delete(hash: SliceHash | string): Promise<void> {
    const tx = this.database.transaction(['data', 'meta'], 'readwrite')
    const meta = await tx.objectStore('meta').get(hash)
    if (meta) {
      await tx.objectStore('meta').delete(hash)
      await tx.objectStore('data').delete(hash)
    }
    await tx.done
    if (meta) {
      this.sliceCount--
      if (meta.pinned) this.pinnedBytes -= meta.size
      else this.cachedBytes -= meta.size
      this.removed([meta.hash])
    }
  }

  /** Records a file (state `writing` until {@link IdbSliceStore.completeFile}). */
  async putFile(record: FileRecord): Promise<void> {
    const existed = (await this.database.getKey('files', record.fileHash)) !== undefined
    await this.database.put('files', { ...record, updatedAt: this.now() })
    if (!existed) this.fileCount++
  }

  /** Marks a file complete (every slice written), optionally attaching its encoded manifest. */
  async completeFile(fileHash: FileHash | string, manifest?: Uint8Array): Promise<void> {
    await this.flush()
    const tx = this.database.transaction(['files', 'meta'], 'readwrite')
    const record = await tx.objectStore('files').get(fileHash)
    // A batch that failed may have been reported to another caller's flush(), and a concurrent drop may
    // have removed the file: it is complete only if its record and every slice of its layout (owned, for
    // an owned file) are really here.
    const held = new Set(
      (await tx.objectStore('meta').index('file').getAll(fileHash))
        .filter((m) => m.pinned || !record?.pinned)
        .map((m) => m.hash),
    )
    const missing = record ? record.slices.filter((s) => !held.has(s.hash)).length : 0
    if (!record || missing > 0) {
      tx.abort()
      await tx.done.catch(() => {})
      throw new SliceNotFoundError(
        record
          ? `${missing} of the ${record.slices.length} slices of file ${fileHash} were not stored`
          : `File ${fileHash} is not recorded here (dropped while it was stored?)`,
        'Free storage and store the file again',
      )
    }
    record.state = 'complete'
    record.updatedAt = this.now()
    if (manifest) record.manifest = manifest
    await tx.objectStore('files').put(record)
    await tx.done
  }

  /** A file's record, if known. */
  async getFile(fileHash: FileHash | string): Promise<FileRecord | undefined> {
    return this.database.get('files', fileHash)
  }

  /** Every file record. */
  async listFiles(): Promise<FileRecord[]> {
    return this.database.getAll('files')
  }

  /** Hashes of every stored slice. */
  async listSlices(): Promise<SliceHash[]> {
    return (await this.database.getAllKeys('meta')) as SliceHash[]
  }

  /**
   * Drops a file's cached slices (owned slices stay unless `includePinned`) and, when nothing of it is
   * left, its record unless `keepRecord`.
   */
  async dropFile(
    fileHash: FileHash | string,
    options: { includePinned?: boolean; keepRecord?: boolean } = {},
  ) {
    // A failed batch must not stop the user from freeing space: its failure stays for flush().
    await this.settle()
    const tx = this.database.transaction(['data', 'meta', 'files'], 'readwrite')
    let left = 0
    const dropped: SliceMeta[] = []
    for (const meta of await tx.objectStore('meta').index('file').getAll(fileHash)) {
      if (meta.pinned && !options.includePinned) {
        left++
        continue
      }
      await tx.objectStore('meta').delete(meta.hash)
      await tx.objectStore('data').delete(meta.hash)
      dropped.push(meta)
    }
    let recordDropped = false
    if (left === 0 && !options.keepRecord && (await tx.objectStore('files').getKey(fileHash)) !== undefined) {
      await tx.objectStore('files').delete(fileHash)
      recordDropped = true
    }
    await tx.done
    for (const meta of dropped) {
      if (meta.pinned) this.pinnedBytes -= meta.size
      else this.cachedBytes -= meta.size
    }
    this.sliceCount -= dropped.length
    if (recordDropped) this.fileCount--
    this.removed(dropped.map((m) => m.hash))
  }

  /** Reads a small private setting (the owner key, the libp2p identity). */
  async getSetting(name: string): Promise<Uint8Array | undefined> {
    return this.database.get('settings', name)
  }

  /** Writes a small private setting. */
  async setSetting(name: string, value: Uint8Array): Promise<void> {
    await this.database.put('settings', value, name)
  }

  /** Closes the database (pending writes are flushed first). */
  async close(): Promise<void> {
    await this.settle()
    await this.flushTouches().catch(() => {})
    this.db?.close()
    this.db = undefined
  }
}

function byteSize(data: Uint8Array | Blob): number {
  return data instanceof Uint8Array ? data.byteLength : data.size
}

function sumOf(entries: readonly SliceEntry[], bytes: (e: SliceEntry) => number): number {
  let total = 0
  for (const e of entries) total += bytes(e)
  return total
}

function quotaError(bytes: number, room: number, cause?: unknown): StorageQuotaError {
  return new StorageQuotaError(
    `Storing ${bytes} bytes would exceed the browser's storage quota (${Math.max(0, room)} bytes free)`,
    'Free browser storage or lower the upload size',
    cause === undefined ? undefined : { cause },
  )
}

/** The browser refused a write for its quota (the request's error, or the aborted transaction's). */
function isQuotaExceeded(err: unknown, tx: { error?: DOMException | null }): boolean {
  return (err as Error | undefined)?.name === 'QuotaExceededError' || tx.error?.name === 'QuotaExceededError'
}

/** Throws SliceVerificationError unless `data` hashes to `hash` as slice `number` of `fileHash`. */
export async function verifySlice(
  store: Pick<IdbSliceStore, 'hashOf'>,
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
