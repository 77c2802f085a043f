/**
 * The IndexedDB slice store, a facade over its parts: the schema and recovery at open (slice-schema.ts),
 * the budget and quota (store-budget.ts), batched writes (write-batcher.ts, batch-commit.ts), eviction
 * (eviction.ts), access tracking (access-tracker.ts), file records (file-records.ts) and settings
 * (key-store.ts), reads verified against the slice hash (verified-reads.ts).
 */
import { type FileHash, hashSlice, type SliceHash } from '@stratos-edge/core'
import type { ReceiptHoldStore } from '@stratos-edge/protocol'
import { AccessTracker } from './access-tracker.js'
import { commitBatch } from './batch-commit.js'
import { FileRecords } from './file-records.js'
import { createKeyStore, type KeyStore } from './key-store.js'
import { createIdbReceiptHold } from './receipt-hold-store.js'
import {
  type FileRecord,
  openSliceDatabase,
  recoverDatabase,
  type SliceDatabase,
  type SliceEntry,
  type SliceMeta,
} from './slice-schema.js'
import { StoreBudget } from './store-budget.js'
import { type ReadOptions, VerifiedReads } from './verified-reads.js'
import { WriteBatcher } from './write-batcher.js'

export type { FileRecord, FileSlice, SliceEntry, SliceMeta } from './slice-schema.js'
export { verifySlice } from './verified-reads.js'

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
  /**
   * Byte budget for slice data; cached slices are evicted past it. Default 2 GiB. A budget set with
   * {@link IdbSliceStore.setBudget} (kept in the store) wins over it.
   */
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

/** The setting that keeps the budget `contribute` chose. */
const BUDGET_SETTING = 'budget-bytes'

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

/** See {@link createIdbSliceStore}. */
export class IdbSliceStore {
  readonly name: string
  private readonly factory: IDBFactory | undefined
  private readonly now: () => number
  private db: SliceDatabase | undefined
  private recovered = { files: 0, slices: 0 }
  private readonly onSlicesRemoved: ((hashes: SliceHash[]) => void) | undefined
  private readonly budget: StoreBudget
  private readonly batcher: WriteBatcher
  private readonly access: AccessTracker
  private readonly files: FileRecords
  private readonly settings: KeyStore
  /** Traffic receipts held as a provider. */
  readonly receipts: ReceiptHoldStore
  private readonly reads: VerifiedReads
  private budgetChosen = false

  constructor(init: IdbSliceStoreInit, components: IdbSliceStoreComponents) {
    this.name = init.name ?? 'stratos-edge-slices'
    this.onSlicesRemoved = init.onSlicesRemoved
    this.factory = components.indexedDB
    this.now = components.now ?? Date.now
    this.budget = new StoreBudget(
      init.budgetBytes !== undefined ? { budgetBytes: init.budgetBytes } : {},
      components.estimate ? { estimate: components.estimate } : {},
    )
    this.batcher = new WriteBatcher(
      {
        ...(init.batchBytes !== undefined ? { batchBytes: init.batchBytes } : {}),
        ...(init.idleFlushMs !== undefined ? { idleFlushMs: init.idleFlushMs } : {}),
      },
      {
        commit: async (batch, strict) => {
          const { rewritten, evicted } = await commitBatch(batch, strict, {
            database: this.database,
            budget: this.budget,
            now: this.now,
          })
          this.reads.forget(rewritten)
          this.removed(evicted.map((m) => m.hash))
        },
      },
    )
    this.access = new AccessTracker({ database: () => this.db, now: this.now })
    this.files = new FileRecords({
      database: () => this.database,
      budget: this.budget,
      now: this.now,
      flush: () => this.flush(),
      settle: () => this.batcher.settle(),
      removed: (hashes) => this.removed(hashes),
    })
    this.settings = createKeyStore({ database: () => this.database })
    this.receipts = createIdbReceiptHold({ database: () => this.database })
    this.reads = new VerifiedReads(
      init.verifyOnRead !== undefined ? { verifyOnRead: init.verifyOnRead } : {},
      {
        database: () => this.database,
        delete: (hash) => this.delete(hash),
        touch: (hash) => this.access.touch(hash),
        // Through the method, so a test can count the hashing.
        hashOf: (number, data, fileHash) => this.hashOf(number, data, fileHash),
      },
    )
  }

  /** The byte budget (see {@link IdbSliceStore.setBudget} to change it and keep it). */
  get budgetBytes(): number {
    return this.budget.budgetBytes
  }

  /**
   * True once the user chose a budget ({@link IdbSliceStore.setBudget}, what `contribute` calls), in this
   * session or an earlier one: the default budget alone is not an offer to store for others.
   */
  get budgetChosenByUser(): boolean {
    return this.budgetChosen
  }

  /** Opens the database and discards what a crashed write left behind. */
  async open(): Promise<void> {
    if (this.factory) (globalThis as { indexedDB?: IDBFactory }).indexedDB = this.factory
    this.db = await openSliceDatabase(this.name)
    const found = await recoverDatabase(this.db)
    this.budget.pinnedBytes = found.pinnedBytes
    this.budget.cachedBytes = found.cachedBytes
    this.budget.slices = found.slices
    this.budget.files = found.files
    this.recovered = { ...found.recovered }
    // A budget the user chose (`contribute`) outlives reloads, and wins over the default from the code.
    const saved = await this.getSetting(BUDGET_SETTING)
    if (saved?.byteLength === 8) {
      this.budget.budgetBytes = new DataView(saved.buffer, saved.byteOffset, 8).getFloat64(0)
      this.budgetChosen = true
    }
  }

  /**
   * Sets the byte budget (never below what is owned) and keeps it across reloads; resolves the budget
   * set. Cached slices past a lower budget are evicted by the next writes.
   */
  async setBudget(bytes: number): Promise<number> {
    const budget = Math.max(bytes, this.budget.pinnedBytes)
    const value = new Uint8Array(8)
    new DataView(value.buffer).setFloat64(0, budget)
    await this.setSetting(BUDGET_SETTING, value)
    this.budget.budgetBytes = budget
    this.budgetChosen = true
    return budget
  }

  private get database(): SliceDatabase {
    if (!this.db) throw new Error('Slice store is not open')
    return this.db
  }

  /** Current sizes and counts. */
  stat(): SliceStoreStat {
    const b = this.budget
    return {
      pinnedBytes: b.pinnedBytes,
      cachedBytes: b.cachedBytes,
      budgetBytes: b.budgetBytes,
      slices: b.slices,
      files: b.files,
      recovered: { ...this.recovered },
      evictedSlices: b.evicted,
    }
  }

  /**
   * Throws StorageQuotaError when `bytes` more (of which `pinned` are owned) would not fit in the budget
   * even after evicting every cached slice, or would exceed the browser's quota. Call before writing.
   */
  assertCanStore(bytes: number, pinnedBytes = bytes): Promise<void> {
    return this.budget.assertCanStore(bytes, pinnedBytes)
  }

  /**
   * Queues a slice; it is committed with others in one transaction when the batch is full or on
   * {@link IdbSliceStore.flush}. Resolves when queued, waiting only when two batches are outstanding. A
   * cached slice that does not fit when its batch commits is not stored (it is only a cache); owned slices
   * that do not fit fail their batch with StorageQuotaError, which the next flush() throws.
   */
  put(entry: SliceEntry): Promise<void> {
    return this.batcher.put(entry)
  }

  /** Commits everything queued and waits for it; throws the failure of any batch not reported yet. */
  flush(): Promise<void> {
    return this.batcher.flush()
  }

  /** Writes several slices in one transaction now; throws StorageQuotaError if any does not fit. */
  putMany(entries: readonly SliceEntry[]): Promise<void> {
    return this.batcher.putMany(entries)
  }

  /** Reports slices removed by a committed transaction to `onSlicesRemoved`. */
  private removed(hashes: SliceHash[]): void {
    this.reads.forget(hashes)
    if (hashes.length === 0 || !this.onSlicesRemoved) return
    try {
      this.onSlicesRemoved(hashes)
    } catch {
      // The store's own work is done; a listener's failure is not the store's.
    }
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
  async get(hash: SliceHash | string, options: ReadOptions = {}): Promise<Uint8Array> {
    return (await this.read(hash, options)).data
  }

  /** {@link IdbSliceStore.get}, with the slice's bookkeeping record read in the same transaction. */
  read(hash: SliceHash | string, options: ReadOptions = {}): Promise<{ meta: SliceMeta; data: Uint8Array }> {
    return this.reads.read(hash, options)
  }

  /** Computes a slice hash with core's WASM slice hasher. */
  hashOf(number: number, data: Uint8Array, fileHash: FileHash | string): Promise<SliceHash> {
    return hashSlice(number, data, fileHash)
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
      this.budget.removed([meta])
      this.removed([meta.hash])
    }
  }

  /** Records a file (state `writing` until {@link IdbSliceStore.completeFile}). */
  putFile(record: FileRecord): Promise<void> {
    return this.files.put(record)
  }

  /** Marks a file complete (every slice written), optionally attaching its encoded manifest. */
  completeFile(fileHash: FileHash | string, manifest?: Uint8Array): Promise<void> {
    return this.files.complete(fileHash, manifest)
  }

  /** A file's record, if known. */
  getFile(fileHash: FileHash | string): Promise<FileRecord | undefined> {
    return this.files.get(fileHash)
  }

  /** Every file record. */
  listFiles(): Promise<FileRecord[]> {
    return this.files.list()
  }

  /** Hashes of every stored slice. */
  async listSlices(): Promise<SliceHash[]> {
    return (await this.database.getAllKeys('meta')) as SliceHash[]
  }

  /**
   * Drops a file's cached slices (owned slices stay unless `includePinned`) and, when nothing of it is
   * left, its record unless `keepRecord`.
   */
  dropFile(
    fileHash: FileHash | string,
    options: { includePinned?: boolean; keepRecord?: boolean } = {},
  ): Promise<void> {
    return this.files.drop(fileHash, options)
  }

  /** Reads a small private setting (the owner key, the libp2p identity). */
  getSetting(name: string): Promise<Uint8Array | undefined> {
    return this.settings.get(name)
  }

  /** Writes a small private setting. */
  setSetting(name: string, value: Uint8Array): Promise<void> {
    return this.settings.set(name, value)
  }

  /** Closes the database (pending writes are flushed first). */
  async close(): Promise<void> {
    await this.batcher.settle()
    await this.access.flush().catch(() => {})
    this.db?.close()
    this.db = undefined
  }
}
