/** File records: each file's layout, whether all of it was written, its manifest; and dropping a file. */
import type { FileHash, SliceHash } from '@stratos-edge/core'
import { SliceNotFoundError } from '../errors.js'
import type { FileRecord, SliceDatabase, SliceMeta } from './slice-schema.js'
import type { StoreBudget } from './store-budget.js'

/** Edges of {@link FileRecords}. */
export interface FileRecordsComponents {
  database(): SliceDatabase
  /** Its file and slice counters are updated once a transaction has committed. */
  budget: StoreBudget
  now(): number
  /** Commits every queued slice write and throws a failure not reported yet. */
  flush(): Promise<void>
  /** Commits every queued slice write, leaving failures for flush(). */
  settle(): Promise<void>
  /** Reports slices a committed transaction removed. */
  removed(hashes: SliceHash[]): void
}

/** See the module doc. */
export class FileRecords {
  constructor(private readonly components: FileRecordsComponents) {}

  /** Records a file (state `writing` until {@link FileRecords.complete}). */
  async put(record: FileRecord): Promise<void> {
    const db = this.components.database()
    const existed = (await db.getKey('files', record.fileHash)) !== undefined
    await db.put('files', { ...record, updatedAt: this.components.now() })
    if (!existed) this.components.budget.files++
  }

  /** Marks a file complete (every slice written), optionally attaching its encoded manifest. */
  async complete(fileHash: FileHash | string, manifest?: Uint8Array): Promise<void> {
    await this.components.flush()
    const tx = this.components.database().transaction(['files', 'meta'], 'readwrite')
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
    record.updatedAt = this.components.now()
    if (manifest) record.manifest = manifest
    await tx.objectStore('files').put(record)
    await tx.done
  }

  /** A file's record, if known. */
  get(fileHash: FileHash | string): Promise<FileRecord | undefined> {
    return this.components.database().get('files', fileHash)
  }

  /** Every file record. */
  list(): Promise<FileRecord[]> {
    return this.components.database().getAll('files')
  }

  /**
   * Drops a file's cached slices (owned slices stay unless `includePinned`) and, when nothing of it is
   * left, its record unless `keepRecord`.
   */
  async drop(fileHash: FileHash | string, options: { includePinned?: boolean; keepRecord?: boolean } = {}) {
    // A failed batch must not stop the user from freeing space: its failure stays for flush().
    await this.components.settle()
    const tx = this.components.database().transaction(['data', 'meta', 'files'], 'readwrite')
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
    this.components.budget.removed(dropped)
    if (recordDropped) this.components.budget.files--
    this.components.removed(dropped.map((m) => m.hash))
  }
}
