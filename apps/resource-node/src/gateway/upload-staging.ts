import { MAX_HASHES_PER_MESSAGE, StagingFullError } from '@stratos-edge/protocol'
import type { StagedSliceFile } from '../store/disk-slice-store.js'

/** One staged slice: its bytes and the digest its hash will be finished from. */
export interface StagedSlice {
  readonly number: number
  readonly data: Uint8Array
  readonly innerDigest: Uint8Array
  /** Its bytes being written ahead to the store (with `writeAhead`); the staging sets it. */
  readonly file?: StagedSliceFile
}

/**
 * Charged against the budget per staged slice on top of its bytes: its entry, digest, timer and temp file
 * cost the node something even when the slice is empty.
 */
export const STAGED_SLICE_OVERHEAD_BYTES = 4096

/** Options of {@link createUploadStaging}. */
export interface UploadStagingInit {
  /** Most bytes staged at once across all uploads (default 256 MiB). */
  maxBytes?: number
  /** Most uploads staged at once (default 1024). */
  maxUploads?: number
  /** Most slices staged per upload (default: as many as one commit can name). */
  maxSlicesPerUpload?: number
  /** An upload not committed this long after its last slice is dropped, ms (default 5 minutes). */
  ttlMs?: number
  /**
   * Starts writing a held slice's bytes to the store ahead of its commit (the store's `writeStaged`), so
   * the commit only adds the header. The staging discards the file of a slice it drops; a taken slice's
   * file is the taker's to adopt or discard. The files hold the bytes staged in memory (and those of commits
   * under way), so the staging budget bounds them on disk too: the store does not count them.
   */
  writeAhead?: (data: Uint8Array) => StagedSliceFile
}

/**
 * Slices uploaded before their hashes were known (see `@stratos-edge/protocol`'s staged uploads), held in
 * memory within a byte budget until their upload is committed or expires. Nothing staged is durable or
 * served: a commit stores what verifies, the rest is dropped.
 */
export interface UploadStaging {
  /**
   * Reserves room for slice `number` of `uploadId` before its body of `bytes` is read; throws
   * StagingFullError (no room, too many uploads, or too many slices in this one). Returns the release.
   */
  reserve(bytes: number, uploadId: string, number: number): () => void
  /**
   * Holds a received slice (replacing one with the same number) and starts its write-ahead. False, and
   * nothing held, when the upload was already committed (a slice that arrived after its commit); throws
   * StagingFullError when the upload or slice count limit was reached meanwhile.
   */
  put(uploadId: string, slice: Omit<StagedSlice, 'file'>): boolean
  /**
   * Removes and returns an upload's staged slices; later slices of it are refused for a while. The caller
   * owns their files: adopt or discard each.
   */
  take(uploadId: string): Map<number, StagedSlice>
  readonly stagedBytes: number
  close(): void
}

/** Creates the staging area. */
export function createUploadStaging(init: UploadStagingInit = {}): UploadStaging {
  const maxBytes = init.maxBytes ?? 256 * 1024 * 1024
  const ttlMs = init.ttlMs ?? 5 * 60_000
  const maxUploads = init.maxUploads ?? 1024
  const maxSlicesPerUpload = init.maxSlicesPerUpload ?? MAX_HASHES_PER_MESSAGE
  const uploads = new Map<
    string,
    { slices: Map<number, StagedSlice>; timer: ReturnType<typeof setTimeout> }
  >()
  let used = 0
  /** Committed upload ids, remembered for `ttlMs` so late slices of them are not held. */
  const committed = new Map<string, ReturnType<typeof setTimeout>>()

  const remove = (uploadId: string): Map<number, StagedSlice> => {
    const u = uploads.get(uploadId)
    if (!u) return new Map()
    clearTimeout(u.timer)
    uploads.delete(uploadId)
    for (const s of u.slices.values()) used -= s.data.length + STAGED_SLICE_OVERHEAD_BYTES
    return u.slices
  }
  /** Expired or closed: the upload's slices and their files go. */
  const drop = (uploadId: string): void => {
    for (const s of remove(uploadId).values()) void s.file?.discard()
  }

  /** Throws when holding slice `number` of `uploadId` would make one upload or one slice too many. */
  const checkCounts = (uploadId: string, number: number): void => {
    const u = uploads.get(uploadId)
    let tooMany: string | undefined
    if (!u && uploads.size >= maxUploads) tooMany = `${maxUploads} uploads staged already`
    else if (u && !u.slices.has(number) && u.slices.size >= maxSlicesPerUpload)
      tooMany = `${maxSlicesPerUpload} slices of upload ${uploadId} staged already`
    if (tooMany) {
      throw new StagingFullError(
        `No room to stage slice ${number}: ${tooMany}`,
        'Upload this slice with its hash once the file hash is known',
      )
    }
  }

  return {
    reserve(bytes, uploadId, number) {
      const charge = bytes + STAGED_SLICE_OVERHEAD_BYTES
      if (used + charge > maxBytes) {
        throw new StagingFullError(
          `No room to stage ${bytes} bytes (${used} of ${maxBytes} staged)`,
          'Upload this slice with its hash once the file hash is known',
        )
      }
      checkCounts(uploadId, number)
      used += charge
      let released = false
      return () => {
        if (!released) used -= charge
        released = true
      }
    },
    put(uploadId, slice) {
      if (committed.has(uploadId)) return false
      // Checked again: other slices may have been held while this body was read.
      checkCounts(uploadId, slice.number)
      let u = uploads.get(uploadId)
      if (!u) {
        u = { slices: new Map(), timer: setTimeout(() => drop(uploadId), ttlMs) }
        u.timer.unref?.()
        uploads.set(uploadId, u)
      }
      const old = u.slices.get(slice.number)
      if (old) {
        used -= old.data.length + STAGED_SLICE_OVERHEAD_BYTES
        void old.file?.discard()
      }
      u.slices.set(slice.number, init.writeAhead ? { ...slice, file: init.writeAhead(slice.data) } : slice)
      used += slice.data.length + STAGED_SLICE_OVERHEAD_BYTES
      clearTimeout(u.timer)
      u.timer = setTimeout(() => drop(uploadId), ttlMs)
      u.timer.unref?.()
      return true
    },
    take(uploadId) {
      clearTimeout(committed.get(uploadId))
      const timer = setTimeout(() => committed.delete(uploadId), ttlMs)
      timer.unref?.()
      committed.set(uploadId, timer)
      return remove(uploadId)
    },
    get stagedBytes() {
      return used
    },
    close() {
      for (const id of [...uploads.keys()]) drop(id)
      for (const timer of committed.values()) clearTimeout(timer)
      committed.clear()
    },
  }
}
