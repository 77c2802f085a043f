import { mkdir, open, readdir, readFile, rm, stat, unlink, utimes } from 'node:fs/promises'
import { join } from 'node:path'
import {
  addressToBytes,
  bytesEqual,
  DecodeError,
  decodeManifest,
  defineErrorClass,
  type FileHash,
  fileHashFromBytes,
  fileHashFromDigest,
  fileHashToBytes,
  hashSlice,
  isFileHash,
  isSliceHash,
  type Manifest,
  type SliceHash,
  toHex,
} from '@stratos-edge/core'
import {
  type ManifestStore,
  type SliceGetOptions,
  SliceHashMismatchError,
  type SliceInfo,
  type SlicePutOptions,
  type SliceRecord,
  type SliceStore,
  StoreFullError,
} from '@stratos-edge/protocol'
import type { Logger } from '../logger.js'
import { renameDurably, tempPath, writeFileAtomic, writeSynced } from './atomic-file.js'

const MAGIC = [0x53, 0x45, 0x53, 0x4c] // "SESL"
const VERSION = 1
const MAX_HEADER = 4 + 1 + 1 + 64 + 8 + 4

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
}

/**
 * A slice's bytes written ahead to a temp file of the store (see {@link DiskSliceStore.writeStaged}), before
 * the slice's hash is known. Pass it to {@link DiskSliceStore.put} (`staged`), or `discard` it.
 */
export interface StagedSliceFile {
  /** True once the bytes are written and synced; false when the write failed (never rejects). */
  readonly written: Promise<boolean>
  /** Removes the temp file once its write has finished; does nothing after an adoption. Never rejects. */
  discard(): Promise<void>
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
  /**
   * Starts writing `data` in the background to a temp file, leaving room in front for the slice file
   * header, and syncs it: the slow part of a store, done before the slice's hash is known (staged uploads).
   * Temp files count against `maxBytes` until adopted or discarded (past it, nothing is written ahead and
   * `written` is false); ones never adopted or discarded are removed at the next open.
   */
  writeStaged(data: Uint8Array): StagedSliceFile
  /** Re-hashes every slice; deletes and reports the ones that do not verify. */
  verifyAll(): Promise<VerifyReport>
  /** The owners (0x addresses) whose manifest of the file is stored. */
  manifestOwners(fileHash: FileHash): string[]
  close(): Promise<void>
}

interface Entry extends SliceInfo {
  fileBytes: number
}

interface StagedState {
  path: string
  done: boolean
  /** Bytes still counted in the store's budget for this file. */
  bytes: number
}

function encodeHeader(fileHash: FileHash, number: number, size: number): Uint8Array {
  const fh = fileHashToBytes(fileHash)
  const out = new Uint8Array(4 + 1 + 1 + fh.length + 8 + 4)
  const dv = new DataView(out.buffer)
  out.set(MAGIC, 0)
  out[4] = VERSION
  out[5] = fh.length
  out.set(fh, 6)
  dv.setBigUint64(6 + fh.length, BigInt(number))
  dv.setUint32(14 + fh.length, size)
  return out
}

/**
 * Header room left in front of staged bytes: the header's length depends only on the file hash's binary
 * length, the same for every SDS file hash (encrypted or not, either codec).
 */
const STAGED_HEADER_BYTES = encodeHeader(fileHashFromDigest(new Uint8Array(32)), 0, 0).length

function decodeHeader(buf: Uint8Array): {
  fileHash: FileHash
  number: number
  size: number
  headerBytes: number
} {
  if (buf.length < 6 || !MAGIC.every((b, i) => buf[i] === b))
    throw new DecodeError('Not a slice file', 'Delete it')
  if (buf[4] !== VERSION) throw new DecodeError(`Slice file version ${buf[4]}`, 'Upgrade the node')
  const fhLen = buf[5] as number
  const headerBytes = 6 + fhLen + 12
  if (buf.length < headerBytes) throw new DecodeError('Truncated slice file header', 'Delete it')
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  const fileHash = fileHashFromBytes(buf.subarray(6, 6 + fhLen))
  const number = Number(dv.getBigUint64(6 + fhLen))
  const size = dv.getUint32(14 + fhLen)
  return { fileHash, number, size, headerBytes }
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
  const writing = new Map<SliceHash, Promise<void>>()
  /**
   * Temp files of staged bytes; `done` once adopted or discarded. `bytes` count against the budget (in
   * `staged`) until then.
   */
  const stagedFiles = new WeakMap<StagedSliceFile, StagedState>()
  /** Bytes of staged temp files not adopted or discarded yet. */
  let staged = 0
  /** Stops counting a staged file's bytes (once): adopted, discarded, or its write failed. */
  const uncount = (state: StagedState): void => {
    staged -= state.bytes
    state.bytes = 0
  }
  /** Staged writes and removals in progress, awaited by `close`. */
  const stagedWork = new Set<Promise<unknown>>()
  const track = <T>(p: Promise<T>): Promise<T> => {
    stagedWork.add(p)
    const settled = () => stagedWork.delete(p)
    p.then(settled, settled)
    return p
  }
  /** Reads in progress, awaited by `close` so the hash pool is not closed under them. */
  const reads = new Set<Promise<unknown>>()
  let closed = false
  const refuseIfClosed = (): void => {
    if (closed) throw new StoreClosedError('The slice store is closed', 'Reopen the store (restart the node)')
  }
  /** Slices hashed (on write or read) since the store opened. */
  const verified = new Set<SliceHash>()
  let used = 0
  let reserved = 0

  const pathOf = (hash: SliceHash): string => join(slicesDir, hash.slice(-2), `${hash}.slice`)

  // Rebuild the index from the headers of the slice files.
  for (const sub of await readdir(slicesDir)) {
    const subDir = join(slicesDir, sub)
    for (const name of await readdir(subDir).catch(() => [] as string[])) {
      const path = join(subDir, name)
      const hash = name.replace(/\.slice$/, '')
      try {
        if (!name.endsWith('.slice') || !isSliceHash(hash))
          throw new DecodeError('Unexpected file', 'Removed')
        const fh = await open(path, 'r')
        let head: Uint8Array
        let fileBytes: number
        try {
          const buf = new Uint8Array(MAX_HEADER)
          const { bytesRead } = await fh.read(buf, 0, MAX_HEADER, 0)
          head = buf.subarray(0, bytesRead)
          fileBytes = (await fh.stat()).size
        } finally {
          await fh.close()
        }
        const h = decodeHeader(head)
        if (h.headerBytes + h.size !== fileBytes) throw new DecodeError('Slice file size mismatch', 'Removed')
        entries.set(hash as SliceHash, {
          hash: hash as SliceHash,
          fileHash: h.fileHash,
          number: h.number,
          size: h.size,
          fileBytes,
        })
        used += fileBytes
      } catch (err) {
        logger?.warn('removing unreadable slice file', { path, error: err })
        await unlink(path).catch(() => {})
      }
    }
  }
  /** The first manifest stored for a file, or (with `owner`) the one that owner signed. */
  const manifestPath = (fileHash: FileHash, owner?: string): string =>
    join(
      manifestsDir,
      owner ? `${fileHash}.${toHex(addressToBytes(owner))}.manifest` : `${fileHash}.manifest`,
    )
  const readManifest = async (
    path: string,
  ): Promise<{ bytes: Uint8Array; manifest: Manifest } | undefined> => {
    try {
      const bytes = new Uint8Array(await readFile(path))
      // Its signature was checked when it was stored; whoever reads it decodes it again anyway.
      return { bytes, manifest: decodeManifest(bytes, { verify: false }) }
    } catch {
      return undefined
    }
  }

  // Manifests come from anyone: they count against the same disk budget as slices (which also bounds
  // this list of who signed one for which file).
  // Sets keep insertion order: owners are listed first stored first.
  const ownersByFile = new Map<string, Set<string>>()
  /** Manifest files being written, by path. */
  const manifestWrites = new Map<string, Promise<void>>()
  const addOwner = (fileHash: string, owner: string): void => {
    const owners = ownersByFile.get(fileHash)
    if (owners) owners.add(owner)
    else ownersByFile.set(fileHash, new Set([owner]))
  }
  const removeOwner = (fileHash: string, owner: string): void => {
    const owners = ownersByFile.get(fileHash)
    owners?.delete(owner)
    if (owners?.size === 0) ownersByFile.delete(fileHash)
  }
  // Owners are listed first stored first, also after a restart (readdir's order is the names'): by the
  // time each owner's manifest file was written.
  /** Owner, size and time of each per-owner manifest file, by file. */
  const ownerFiles = new Map<string, { owner: string; bytes: number; at: number }[]>()
  const addOwnerFile = (fileHash: string, file: { owner: string; bytes: number; at: number }): void => {
    const files = ownerFiles.get(fileHash)
    if (files) files.push(file)
    else ownerFiles.set(fileHash, [file])
  }
  const firstManifests: { fileHash: string; path: string; at: number; bytes: number }[] = []
  for (const name of await readdir(manifestsDir)) {
    const path = join(manifestsDir, name)
    const s = await stat(path).catch(() => undefined)
    if (!s) continue
    used += s.size
    const perOwner = /^(.+)\.(0x[0-9a-f]{40})\.manifest$/.exec(name)
    const first = /^([^.]+)\.manifest$/.exec(name)
    if (perOwner) {
      addOwnerFile(perOwner[1] as string, { owner: perOwner[2] as string, bytes: s.size, at: s.mtimeMs })
    } else if (first) {
      firstManifests.push({ fileHash: first[1] as string, path, at: s.mtimeMs, bytes: s.size })
    }
  }
  // A store from before manifests were kept per owner holds a file's first manifest alone: its owner gets
  // the copy now, dated as the first manifest, so it is listed in its place. A first manifest stored since
  // has its owner's copy, of the same size and written just before it, so only the others are read; other
  // owners' copies of an old first manifest came after it.
  for (const f of firstManifests) {
    const copies = ownerFiles.get(f.fileHash) ?? []
    if (copies.some((o) => o.bytes === f.bytes && o.at <= f.at)) continue
    const found = await readManifest(f.path)
    if (!found || found.manifest.fileHash !== f.fileHash) continue
    const owner = toHex(addressToBytes(found.manifest.owner))
    // A copy there already (written later, or its time lost in a restore) is left as it is; without room
    // for one, the owner is listed all the same (getManifest finds the owner's in the first manifest).
    const copied = copies.some((o) => o.owner === owner)
    addOwnerFile(f.fileHash, { owner, bytes: f.bytes, at: f.at })
    if (copied || used + f.bytes > maxBytes) continue
    const copy = manifestPath(found.manifest.fileHash, found.manifest.owner)
    try {
      await writeFileAtomic(tmpDir, copy, [found.bytes])
      used += f.bytes
      const at = new Date(f.at)
      await utimes(copy, at, at)
    } catch (err) {
      logger?.warn('first manifest not copied for its owner', { fileHash: f.fileHash, error: err })
    }
  }
  const byTime = [...ownerFiles].flatMap(([fileHash, files]) => files.map((f) => ({ fileHash, ...f })))
  byTime.sort((a, b) => a.at - b.at)
  for (const o of byTime) addOwner(o.fileHash, o.owner)
  logger?.info('slice store opened', { dir, slices: entries.size, usedBytes: used, maxBytes })

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
    used -= entry.fileBytes
    await unlink(pathOf(hash)).catch(() => {})
    init.onRemoved?.(hash)
    return true
  }

  function writeStaged(data: Uint8Array): StagedSliceFile {
    const path = tempPath(tmpDir, '.staged')
    const bytes = STAGED_HEADER_BYTES + data.length
    // Staged files take disk like slices: past the budget the bytes are not written ahead (a commit
    // then writes them in full, within the budget, or is refused).
    const room = used + reserved + staged + bytes <= maxBytes
    const state: StagedState = { path, done: !room, bytes: room ? bytes : 0 }
    staged += state.bytes
    const written = room
      ? track(
          writeSynced(path, 'wx', [data], STAGED_HEADER_BYTES)
            .then(() => true)
            .catch((err: unknown) => {
              logger?.warn('staged slice write failed; its commit will write it in full', { error: err })
              if (!state.done) {
                state.done = true
                uncount(state)
                void unlink(path).catch(() => {})
              }
              return false
            }),
        )
      : Promise.resolve(false)
    const file: StagedSliceFile = {
      written,
      discard() {
        if (state.done) return Promise.resolve()
        state.done = true
        return track(
          written
            .then(() => unlink(path))
            .catch(() => {})
            .finally(() => uncount(state)),
        )
      },
    }
    stagedFiles.set(file, state)
    return file
  }

  /**
   * Moves staged bytes into place under `finalPath` with `header` written in front; false (nothing done)
   * when they cannot be used: the write failed, or they were taken already.
   */
  async function adopt(staged: StagedSliceFile, header: Uint8Array, finalPath: string): Promise<boolean> {
    const state = stagedFiles.get(staged)
    if (!state || state.done) return false
    if (!(await staged.written) || state.done) return false
    state.done = true
    try {
      await writeSynced(state.path, 'r+', [header])
      await renameDurably(state.path, finalPath)
    } catch (err) {
      await unlink(state.path).catch(() => {})
      throw err
    } finally {
      uncount(state) // counted from now on as the slice file (reserved, then used)
    }
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
    // Bytes staged for this very slice are counted already: they become the slice file.
    const ownStaged = (stagedFile && stagedFiles.get(stagedFile)?.bytes) || 0
    if (used + reserved + staged - ownStaged + fileBytes > maxBytes) {
      throw new StoreFullError(
        `Slice store full: ${used + reserved + staged - ownStaged} of ${maxBytes} bytes used, ${fileBytes} more needed`,
        'Raise --max-bytes, free space, or push to another node',
      )
    }
    reserved += fileBytes
    // From here the staged bytes are counted as this slice's file (reserved): not twice.
    const stagedState = stagedFile && stagedFiles.get(stagedFile)
    if (stagedState) uncount(stagedState)
    try {
      await mkdir(join(slicesDir, slice.hash.slice(-2)), { recursive: true })
      if (!(stagedFile && (await adopt(stagedFile, header, pathOf(slice.hash)))))
        await writeFileAtomic(tmpDir, pathOf(slice.hash), [header, slice.data])
      entries.set(slice.hash, {
        hash: slice.hash,
        fileHash: slice.fileHash,
        number: slice.number,
        size: slice.data.length,
        fileBytes,
      })
      verified.add(slice.hash)
      used += fileBytes
    } finally {
      reserved -= fileBytes
    }
  }

  return {
    dir,
    maxBytes,
    get usedBytes() {
      return used + reserved + staged
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
    writeStaged,
    delete: removeEntry,
    async verifyAll() {
      const report: VerifyReport = { ok: 0, corrupt: [] }
      for (const hash of [...entries.keys()]) {
        if (await readVerified(hash)) report.ok++
        else report.corrupt.push(hash)
      }
      return report
    },
    async getManifest(fileHash, owner) {
      if (!isFileHash(fileHash)) return undefined
      const first = () => readManifest(manifestPath(fileHash))
      if (owner === undefined) return (await first())?.bytes
      let wanted: Uint8Array
      try {
        wanted = addressToBytes(owner)
      } catch {
        return undefined
      }
      const own = await readManifest(manifestPath(fileHash, owner))
      if (own) return own.bytes
      // Stores written before manifests were kept per owner hold only the first one: it may be this owner's.
      const found = await first()
      return found && bytesEqual(addressToBytes(found.manifest.owner), wanted) ? found.bytes : undefined
    },
    async putManifest(bytes) {
      refuseIfClosed()
      const m = decodeManifest(bytes)
      // Each owner's manifest of a file is kept, so an owner's sdm:// URI finds that owner's whoever came
      // first; the first one also answers requests by bare file hash, whose readers check the whole file.
      for (const path of [manifestPath(m.fileHash, m.owner), manifestPath(m.fileHash)]) {
        // One write per path at a time: the same manifest stored twice at once is written (and counted)
        // once, and its owner listed once.
        while (manifestWrites.has(path)) await manifestWrites.get(path)
        let settle = (): void => {}
        manifestWrites.set(path, new Promise<void>((r) => (settle = r)))
        try {
          const exists = await stat(path).then(
            () => true,
            () => false,
          )
          if (exists) continue
          if (used + reserved + staged + bytes.length > maxBytes) {
            throw new StoreFullError(
              `Slice store full: ${used + reserved + staged} of ${maxBytes} bytes used, ${bytes.length} more needed for a manifest`,
              'Raise --max-bytes or free space',
            )
          }
          reserved += bytes.length
          // Listed from the start of its write: the order a restart finds again by the files' times.
          const owner = path === manifestPath(m.fileHash) ? undefined : toHex(addressToBytes(m.owner))
          if (owner) addOwner(m.fileHash, owner)
          try {
            await writeFileAtomic(tmpDir, path, [bytes])
            used += bytes.length
          } catch (err) {
            if (owner) removeOwner(m.fileHash, owner)
            throw err
          } finally {
            reserved -= bytes.length
          }
        } finally {
          manifestWrites.delete(path)
          settle()
        }
      }
      return m.fileHash
    },
    manifestOwners(fileHash) {
      return [...(ownersByFile.get(fileHash) ?? [])]
    },
    async close() {
      closed = true
      while (writing.size > 0 || stagedWork.size > 0 || reads.size > 0 || manifestWrites.size > 0)
        await Promise.allSettled([...writing.values(), ...stagedWork, ...reads, ...manifestWrites.values()])
    },
  }
}
