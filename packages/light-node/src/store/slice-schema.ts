/**
 * The slice store's IndexedDB schema (slice bytes, slice records, file records, settings, held traffic
 * receipts), and the
 * recovery run at every open: a file whose write was cut short (a closed tab) is discarded, with any
 * slice record or bytes left without the other.
 */
import type { FileHash, SliceHash } from '@stratos-edge/core'
import { type DBSchema, type IDBPDatabase, type IDBPTransaction, openDB } from 'idb'

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

/** The database's object stores. */
export interface SliceSchema extends DBSchema {
  data: { key: string; value: Uint8Array | Blob }
  meta: { key: string; value: SliceMeta; indexes: { lru: [number, number]; file: string } }
  files: { key: string; value: FileRecord }
  settings: { key: string; value: Uint8Array }
  /** Traffic receipts this node holds as a provider (version 2): the newest per downloader, ticket, epoch. */
  receipts: { key: string; value: StoredReceipt }
}

/** A held receipt as stored: its encoded bytes and whether the meta service took it. */
export interface StoredReceipt {
  readonly bytes: Uint8Array
  readonly state: 'pending' | 'submitted' | 'rejected'
  readonly reason?: string
  /** Unix seconds at which its download ticket expires (absent on receipts held before it was kept). */
  readonly ticketExpiresAt?: number
}

/** The open database. */
export type SliceDatabase = IDBPDatabase<SliceSchema>

/** A transaction that writes slices and file records. */
export type WriteTx = IDBPTransaction<SliceSchema, ('data' | 'meta' | 'files')[], 'readwrite'>

/** What an open found in the database, after discarding what a crashed write left behind. */
export interface RecoveredDatabase {
  readonly pinnedBytes: number
  readonly cachedBytes: number
  readonly slices: number
  readonly files: number
  /** What was discarded: half-written files and orphan records. */
  readonly recovered: { readonly files: number; readonly slices: number }
}

/** Opens (creating on first use) the slice database called `name`. */
export function openSliceDatabase(name: string): Promise<SliceDatabase> {
  return openDB<SliceSchema>(name, 2, {
    upgrade(db, oldVersion) {
      if (oldVersion < 1) {
        db.createObjectStore('data')
        const meta = db.createObjectStore('meta', { keyPath: 'hash' })
        meta.createIndex('lru', ['pinned', 'lastAccess'])
        meta.createIndex('file', 'fileHash')
        db.createObjectStore('files', { keyPath: 'fileHash' })
        db.createObjectStore('settings')
      }
      if (oldVersion < 2) db.createObjectStore('receipts')
    },
  })
}

/**
 * Discards, in one transaction, every file still `writing` (with its slices), slice records without
 * bytes and bytes without a record; returns what is left and what was discarded.
 */
export async function recoverDatabase(db: SliceDatabase): Promise<RecoveredDatabase> {
  const tx = db.transaction(['data', 'meta', 'files'], 'readwrite')
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
  let pinnedBytes = 0
  let cachedBytes = 0
  let sliceCount = 0
  for (const meta of metas) {
    if (!dataKeys.has(meta.hash)) {
      await tx.objectStore('meta').delete(meta.hash)
      slices++
      continue
    }
    metaKeys.add(meta.hash)
    sliceCount++
    if (meta.pinned) pinnedBytes += meta.size
    else cachedBytes += meta.size
  }
  for (const key of dataKeys) {
    if (metaKeys.has(key)) continue
    await tx.objectStore('data').delete(key)
    slices++
  }
  const fileCount = await tx.objectStore('files').count()
  await tx.done
  return { pinnedBytes, cachedBytes, slices: sliceCount, files: fileCount, recovered: { files, slices } }
}

/** The bytes of a slice's data. */
export function byteSize(data: Uint8Array | Blob): number {
  return data instanceof Uint8Array ? data.byteLength : data.size
}
