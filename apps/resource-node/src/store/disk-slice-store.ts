import { mkdir, readFile, rm, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import {
  createKeccakStream,
  DecodeError,
  defineErrorClass,
  type FileHash,
  hashSlice,
  isErrorNamed,
  type SliceHash,
} from '@stratos-edge/core'
import {
  type ManifestStore,
  type SliceGetOptions,
  SliceHashMismatchError,
  type SliceInfo,
  type SlicePutOptions,
  type SliceRecord,
  type SliceStore,
} from '@stratos-edge/protocol'
import type { Logger } from '../logger.js'
import { writeFileAtomic } from './atomic-file.js'
import { createDiskBudget } from './disk-budget.js'
import { openDiskManifestStore } from './disk-manifest-store.js'
import { createStagedSliceFiles, type StagedSliceFile } from './staged-slice-files.js'

export type { StagedSliceFile } from './staged-slice-files.js'

import {
  type DigestStream,
  decodeHeader,
  encodeHeader,
  readSliceFileData,
  scanSliceFiles,
  sliceFileMatches,
} from './slice-file-format.js'

/** A read or write reached the store after `close()` began. */
export class StoreClosedError extends defineErrorClass('StoreClosedError') {}

/** Options of {@link openDiskSliceStore}. */
export interface DiskSliceStoreInit {
  /** Directory holding `slices/`, `manifests/` and `tmp/`. */
  dir: string
  /** Disk budget for slice files, bytes (default 10 GiB). */
  maxBytes?: number
  logger?: Logger
  /** Called after a slice left the store (deleted, or found corrupt and removed). */
  onRemoved?: (hash: SliceHash) => void
  /** Hashes slices (e.g. a worker pool); default: WebAssembly Keccak on this thread. */
  hashSlice?: (sliceNumber: number, data: Uint8Array, fileHash: FileHash) => Promise<SliceHash>
  /**
   * Starts a streaming Keccak-256 (the hash pool's `fileDigest`), for {@link DiskSliceStore.verifyOnce};
   * default on this thread.
   */
  sliceDigest?: () => DigestStream
}

/** What {@link DiskSliceStore.verifyAll} found. */
export interface VerifyReport {
  ok: number
  /** Slices whose bytes no longer match their hash; they were deleted. */
  corrupt: SliceHash[]
}

/** Options of {@link DiskSliceStore.put}. */
export interface DiskSlicePutOptions extends SlicePutOptions {
  /**
   * The slice's bytes, written ahead: when that write succeeded, only the header is written, synced and the
   * file renamed into place (after the same budget check); otherwise `slice.data` is written in full.
   * Either way the temp file is gone (adopted or discarded) when `put` settles.
   */
  staged?: StagedSliceFile
}

/** The on-disk {@link SliceStore} and {@link ManifestStore}. */
export interface DiskSliceStore extends Omit<SliceStore, 'put'>, ManifestStore {
  /** As {@link SliceStore.put}, also adopting a staged file. */
  put(slice: SliceRecord, options?: DiskSlicePutOptions): Promise<boolean>
  readonly dir: string
  readonly maxBytes: number
  /** Bytes of slice and manifest files on disk, plus writes in progress and staged temp files. */
  readonly usedBytes: number
  readonly sliceCount: number
  /** Every stored slice's metadata. */
  list(): SliceInfo[]
  /** When a held slice was stored (its file's mtime for one found at open), ms since the epoch. */
  storedAt(hash: SliceHash): number | undefined
  /**
   * Starts writing `data` in the background to a temp file, leaving room in front for the slice file
   * header, and syncs it: the slow part of a store, done before the slice's hash is known (staged uploads).
   * Temp files count against `maxBytes` until adopted or discarded (past it, nothing is written ahead and
   * `written` is false); ones never adopted or discarded are removed at the next open.
   */
  writeStaged(data: Uint8Array): StagedSliceFile
  /**
   * Verifies a slice once since the store opened (a put verified it already): its file is streamed through
   * the hash in chunks of at most 1 MiB; a corrupt one is removed. True when it verified, now or before;
   * false when it is not held (or was corrupt). Concurrent calls share one check.
   */
  verifyOnce(hash: SliceHash): Promise<boolean>
  /**
   * `length` bytes at `offset` of a held slice's data, read from disk as they are (call
   * {@link DiskSliceStore.verifyOnce} first); short at the slice's end, undefined when it is not held.
   */
  readData(hash: SliceHash, offset: number, length: number): Promise<Uint8Array | undefined>
  /** Re-hashes every slice; deletes and reports the ones that do not verify. */
  verifyAll(): Promise<VerifyReport>
  /** The owners (0x addresses) whose manifest of the file is stored. */
  manifestOwners(fileHash: FileHash): string[]
  close(): Promise<void>
}

interface Entry extends SliceInfo {
  fileBytes: number
  storedAt: number
}

/** A Keccak-256 stream on this thread. */
function digestHere(): DigestStream {
  const keccak = createKeccakStream()
  return {
    update: async (bytes) => (await keccak).update(bytes),
    digest: async () => (await keccak).digest(),
    cancel() {},
  }
}

/**
 * Opens (creating if needed) a durable slice store in `dir`. Each slice is one file
 * `slices/<xy>/<slice hash>.slice` (header: magic, version, file hash, number, size; then the bytes),
 * written atomically (temp file, fsync, rename, directory fsync) after its hash verified, so a `put`
 * that resolved survives `kill -9`. Temp files left by a crash are removed at open; `get` re-verifies.
 *
 * @example
 * ```ts
 * const store = await openDiskSliceStore({ dir: '.data/node/store', maxBytes: 20 * 2 ** 30 })
 * await store.put({ hash, fileHash, number: 1, data })
 * ```
 */
export async function openDiskSliceStore(init: DiskSliceStoreInit): Promise<DiskSliceStore> {
  const { dir, logger } = init
  const hashOf = init.hashSlice ?? hashSlice
  const maxBytes = init.maxBytes ?? 10 * 2 ** 30
  const slicesDir = join(dir, 'slices')
  const manifestsDir = join(dir, 'manifests')
  const tmpDir = join(dir, 'tmp')
  await mkdir(slicesDir, { recursive: true })
  await mkdir(manifestsDir, { recursive: true })
  // Anything in tmp/ is an unfinished write from before a crash: never served, removed now.
  await rm(tmpDir, { recursive: true, force: true })
  await mkdir(tmpDir, { recursive: true })

  const entries = new Map<SliceHash, Entry>()
  /** Slice directories (`<xy>/`) made since the store opened: each put skips its mkdir, a turn under load. */
  const madeDirs = new Set<string>()
  const writing = new Map<SliceHash, Promise<void>>()
  /** Reads in progress, awaited by `close` so the hash pool is not closed under them. */
  const reads = new Set<Promise<unknown>>()
  let closed = false
  const refuseIfClosed = (): void => {
    if (closed) throw new StoreClosedError('The slice store is closed', 'Reopen the store (restart the node)')
  }
  /** Slices hashed (on write or read) since the store opened. */
  const verified = new Set<SliceHash>()
  const budget = createDiskBudget({ maxBytes })
  const staging = createStagedSliceFiles({ tmpDir, ...(logger ? { logger } : {}) }, { budget })

  const pathOf = (hash: SliceHash): string => join(slicesDir, hash.slice(-2), `${hash}.slice`)

  // Rebuild the index from the headers of the slice files.
  for (const f of await scanSliceFiles(slicesDir, logger)) {
    entries.set(f.hash, f)
    budget.count(f.fileBytes)
  }
  const manifests = await openDiskManifestStore(
    { dir: manifestsDir, tmpDir, ...(logger ? { logger } : {}) },
    { budget },
  )
  logger?.info('slice store opened', { dir, slices: entries.size, usedBytes: budget.usedBytes, maxBytes })

  async function readVerified(
    hash: SliceHash,
    options: SliceGetOptions = {},
  ): Promise<SliceRecord | undefined> {
    refuseIfClosed()
    const p = readVerifiedOnce(hash, options)
    reads.add(p)
    const settled = () => reads.delete(p)
    p.then(settled, settled)
    return p
  }

  async function readVerifiedOnce(
    hash: SliceHash,
    options: SliceGetOptions,
  ): Promise<SliceRecord | undefined> {
    const entry = entries.get(hash)
    if (!entry) return undefined
    let buf: Uint8Array
    try {
      buf = await readFile(pathOf(hash))
    } catch {
      return undefined
    }
    let h: ReturnType<typeof decodeHeader>
    let data: Uint8Array
    try {
      h = decodeHeader(buf)
      data = buf.subarray(h.headerBytes, h.headerBytes + h.size)
      if (data.length !== h.size) throw new DecodeError('Truncated slice file', 'Removed')
    } catch (err) {
      return removeCorrupt(hash, err)
    }
    const skip = options.reverify === false && verified.has(hash)
    // A hashing failure (worker died, pool closed) says nothing about the bytes: it rejects, the slice stays.
    if (!skip && (await hashOf(h.number, data, h.fileHash)) !== hash) {
      return removeCorrupt(hash, new DecodeError('Slice file does not match its hash', 'Removed'))
    }
    verified.add(hash)
    return { hash, fileHash: h.fileHash, number: h.number, data }
  }

  async function removeCorrupt(hash: SliceHash, err: unknown): Promise<undefined> {
    logger?.error('corrupt slice removed', { hash, error: err })
    await removeEntry(hash)
    return undefined
  }

  async function removeEntry(hash: SliceHash): Promise<boolean> {
    const entry = entries.get(hash)
    if (!entry) return false
    entries.delete(hash)
    verified.delete(hash)
    budget.release(entry.fileBytes)
    await unlink(pathOf(hash)).catch(() => {})
    init.onRemoved?.(hash)
    return true
  }

  async function write(slice: SliceRecord, options: DiskSlicePutOptions): Promise<void> {
    const stagedFile = options.staged
    if (!options.verified && (await hashOf(slice.number, slice.data, slice.fileHash)) !== slice.hash) {
      throw new SliceHashMismatchError(
        `Slice ${slice.number} of ${slice.fileHash} does not match its hash ${slice.hash}`,
        'The bytes were not stored; fetch or read the slice again',
      )
    }
    const header = encodeHeader(slice.fileHash, slice.number, slice.data.length)
    const fileBytes = header.length + slice.data.length
    // Bytes staged for this very slice are counted already: they become the slice file, not counted twice.
    const settle = budget.reserve(fileBytes, 'a slice', stagedFile ? staging.countedBytes(stagedFile) : 0)
    if (stagedFile) staging.uncount(stagedFile)
    try {
      const sliceDir = join(slicesDir, slice.hash.slice(-2))
      const known = madeDirs.has(sliceDir)
      if (!known) {
        await mkdir(sliceDir, { recursive: true })
        madeDirs.add(sliceDir)
      }
      if (!(stagedFile && (await staging.adopt(stagedFile, header, pathOf(slice.hash))))) {
        const parts = [header, slice.data]
        await writeFileAtomic(tmpDir, pathOf(slice.hash), parts).catch(async (err: unknown) => {
          if (!known || (err as { code?: string }).code !== 'ENOENT') throw err
          // Its directory was removed from under the store since it was made: made again, written again.
          await mkdir(sliceDir, { recursive: true })
          await writeFileAtomic(tmpDir, pathOf(slice.hash), parts)
        })
      }
      entries.set(slice.hash, {
        hash: slice.hash,
        fileHash: slice.fileHash,
        number: slice.number,
        size: slice.data.length,
        fileBytes,
        storedAt: Date.now(),
      })
      verified.add(slice.hash)
      settle(true)
    } catch (err) {
      settle(false)
      throw err
    }
  }

  const sliceDigest = init.sliceDigest ?? digestHere
  /** Checks under way, one per slice however many readers wait for it. */
  const verifying = new Map<SliceHash, Promise<boolean>>()

  function verifyOnce(hash: SliceHash): Promise<boolean> {
    refuseIfClosed()
    if (verified.has(hash)) return Promise.resolve(true)
    if (!entries.has(hash)) return Promise.resolve(false)
    let running = verifying.get(hash)
    if (!running) {
      running = (async () => {
        let ok: boolean
        try {
          ok = await sliceFileMatches(pathOf(hash), hash, sliceDigest())
        } catch (err) {
          // A hashing failure says nothing about the bytes: it rejects, the slice stays.
          if (!isErrorNamed(err, 'DecodeError') && (err as { code?: string }).code !== 'ENOENT') throw err
          ok = false
        }
        if (ok && entries.has(hash)) verified.add(hash)
        else await removeCorrupt(hash, new DecodeError('Slice file does not match its hash', 'Removed'))
        return ok
      })().finally(() => verifying.delete(hash))
      verifying.set(hash, running)
      reads.add(running)
      const settled = () => reads.delete(running as Promise<boolean>)
      running.then(settled, settled)
    }
    return running
  }

  async function readData(hash: SliceHash, offset: number, length: number): Promise<Uint8Array | undefined> {
    refuseIfClosed()
    const entry = entries.get(hash)
    if (!entry) return undefined
    const p = readSliceFileData(pathOf(hash), entry.fileBytes - entry.size, offset, length).catch(
      () => undefined,
    )
    reads.add(p)
    const settled = () => reads.delete(p)
    p.then(settled, settled)
    return p
  }

  return {
    dir,
    maxBytes,
    get usedBytes() {
      return budget.usedBytes
    },
    get sliceCount() {
      return entries.size
    },
    list() {
      return [...entries.values()].map(({ hash, fileHash, number, size }) => ({
        hash,
        fileHash,
        number,
        size,
      }))
    },
    storedAt: (hash) => entries.get(hash)?.storedAt,
    async has(hash) {
      return entries.has(hash)
    },
    async info(hash) {
      const e = entries.get(hash)
      return e && { hash: e.hash, fileHash: e.fileHash, number: e.number, size: e.size }
    },
    get: readVerified,
    async put(slice, options = {}) {
      try {
        refuseIfClosed()
        if (entries.has(slice.hash)) return false
        // Another call is storing it: that one reports it new.
        const inflight = writing.get(slice.hash)
        if (inflight) return await inflight.then(() => false)
        const p = write(slice, options).finally(() => writing.delete(slice.hash))
        writing.set(slice.hash, p)
        await p
        return true
      } finally {
        // Not adopted (held already, full, fell back, failed): the temp file goes.
        void options.staged?.discard()
      }
    },
    writeStaged: (data) => staging.write(data),
    verifyOnce,
    readData,
    delete: removeEntry,
    async verifyAll() {
      const report: VerifyReport = { ok: 0, corrupt: [] }
      for (const hash of [...entries.keys()]) {
        if (await readVerified(hash)) report.ok++
        else report.corrupt.push(hash)
      }
      return report
    },
    getManifest: (fileHash, owner) => manifests.getManifest(fileHash, owner),
    async putManifest(bytes) {
      refuseIfClosed()
      return manifests.putManifest(bytes)
    },
    manifestOwners: (fileHash) => manifests.manifestOwners(fileHash),
    deleteManifest: (fileHash, owner) => manifests.deleteManifest(fileHash, owner),
    async close() {
      closed = true
      while (writing.size > 0 || reads.size > 0) await Promise.allSettled([...writing.values(), ...reads])
      await staging.idle()
      await manifests.idle()
    },
  }
}
