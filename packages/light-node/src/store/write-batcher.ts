/**
 * Queues slice writes and commits them in batches, one transaction each (16 puts per transaction write
 * about twice as fast as one per transaction in Chromium): a batch goes when it is full or shortly after
 * the writes pause. At most two batches are outstanding: the backpressure of `put`.
 */
import { byteSize, type SliceEntry } from './slice-schema.js'

/** Options of {@link WriteBatcher}. */
export interface WriteBatcherInit {
  /** Bytes queued before a batch is committed in one transaction; default 32 MiB. */
  batchBytes?: number
  /** A partial batch is committed this long after the last queued write; default 50 ms. */
  idleFlushMs?: number
}

/** Edges of {@link WriteBatcher}. */
export interface WriteBatcherComponents {
  /**
   * Writes a batch in one transaction. `strict`: cached slices that do not fit fail it; otherwise they
   * are left out. Batches are committed one after another, never two at once.
   */
  commit(batch: readonly SliceEntry[], strict: boolean): Promise<void>
}

const DEFAULT_BATCH = 32 * 1024 * 1024

/** See the module doc. */
export class WriteBatcher {
  private readonly batchBytes: number
  private readonly idleFlushMs: number
  private pending: SliceEntry[] = []
  private pendingBytes = 0
  /** Settles once every batch started so far is committed or failed; never rejects. */
  private committing: Promise<void> = Promise.resolve()
  /** Failures of batched commits that no flush() has thrown yet. */
  private unreported: { error: unknown }[] = []
  private idleTimer: ReturnType<typeof setTimeout> | undefined

  constructor(
    init: WriteBatcherInit,
    private readonly components: WriteBatcherComponents,
  ) {
    this.batchBytes = init.batchBytes ?? DEFAULT_BATCH
    this.idleFlushMs = init.idleFlushMs ?? 50
  }

  /** Queues a slice; resolves when queued, waiting only when two batches are outstanding. */
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
    const first = this.unreported[0]
    this.unreported = []
    if (first) throw first.error
  }

  /** Writes several slices in one transaction now, strictly; its failure is the caller's. */
  async putMany(entries: readonly SliceEntry[]): Promise<void> {
    // In line with the batches: two commits at once would both plan against the same counters.
    const run = this.committing.then(() => this.components.commit(entries, true))
    this.committing = run.catch(() => {}) // its failure is this caller's, not flush()'s
    await run
  }

  /** Commits everything queued and waits, without reporting failures (they stay for flush()). */
  async settle(): Promise<void> {
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
      .then(() => this.components.commit(batch, false))
      .catch((error: unknown) => {
        this.unreported.push({ error })
      })
    return previous
  }
}
