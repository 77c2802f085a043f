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
  /**
   * Most bytes staged at once by one client (remote address), reservations included (default `maxBytes`;
   * the resource node gives each half). A client holding nothing may always stage one slice.
   */
  maxBytesPerClient?: number
  /** An upload not committed this long after its last new slice is dropped, ms (default 5 minutes). */
  ttlMs?: number
  /**
   * An upload is dropped this long after its first slice however often it is sent slices again, ms
   * (default 30 minutes): re-sending a slice must not keep staged bytes forever.
   */
  maxLifetimeMs?: number
  /**
   * Bytes the store can still take: staged slices are written ahead to it and count against its budget,
   * so a slice that would not fit there is refused before its body is read.
   */
  diskRoom?: () => number
  /**
   * Starts writing a held slice's bytes to the store ahead of its commit (the store's `writeStaged`), so
   * the commit only adds the header. The staging discards the file of a slice it drops; a taken slice's
   * file is the taker's to adopt or discard. The store counts the files against its disk budget.
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
  reserve(bytes: number, uploadId: string, number: number, client?: string): () => void
  /**
   * Holds a received slice (replacing one with the same number) and starts its write-ahead. False, and
   * nothing held, when the upload was already committed (a slice that arrived after its commit); throws
   * StagingFullError when the upload or slice count limit was reached meanwhile.
   */
  put(uploadId: string, slice: Omit<StagedSlice, 'file'>, client?: string): boolean
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
  const perClient = init.maxBytesPerClient ?? maxBytes
  const ttlMs = init.ttlMs ?? 5 * 60_000
  const maxLifetimeMs = init.maxLifetimeMs ?? 30 * 60_000
  const maxUploads = init.maxUploads ?? 1024
  const maxSlicesPerUpload = init.maxSlicesPerUpload ?? MAX_HASHES_PER_MESSAGE
  const uploads = new Map<
    string,
    {
      slices: Map<number, StagedSlice>
      timer: ReturnType<typeof setTimeout>
      client: string
      createdAt: number
    }
  >()
  let used = 0
  /** Bytes charged per client: its reservations and its uploads' slices. */
  const byClient = new Map<string, number>()
  const charge = (client: string, bytes: number): void => {
    used += bytes
    const left = (byClient.get(client) ?? 0) + bytes
    if (left > 0) byClient.set(client, left)
    else byClient.delete(client)
  }
  /** Committed upload ids, remembered for `ttlMs` so late slices of them are not held. */
  const committed = new Map<string, ReturnType<typeof setTimeout>>()

  const remove = (uploadId: string): Map<number, StagedSlice> => {
    const u = uploads.get(uploadId)
    if (!u) return new Map()
    clearTimeout(u.timer)
    uploads.delete(uploadId)
    for (const s of u.slices.values()) charge(u.client, -(s.data.length + STAGED_SLICE_OVERHEAD_BYTES))
    return u.slices
  }
  /** Expired or closed: the upload's slices and their files go. */
  const drop = (uploadId: string): void => {
    for (const s of remove(uploadId).values()) void s.file?.discard()
  }
  /** (Re)arms an upload's expiry: `ttlMs` from now, never past its lifetime. */
  const arm = (uploadId: string, u: { timer: ReturnType<typeof setTimeout>; createdAt: number }): void => {
    clearTimeout(u.timer)
    const left = Math.min(ttlMs, u.createdAt + maxLifetimeMs - Date.now())
    u.timer = setTimeout(() => drop(uploadId), Math.max(0, left))
    u.timer.unref?.()
  }
  const full = (why: string): StagingFullError =>
    new StagingFullError(why, 'Upload this slice with its hash once the file hash is known')

  /** Throws when holding slice `number` of `uploadId` would make one upload or one slice too many. */
  const checkCounts = (uploadId: string, number: number): void => {
    const u = uploads.get(uploadId)
    let tooMany: string | undefined
    if (!u && uploads.size >= maxUploads) tooMany = `${maxUploads} uploads staged already`
    else if (u && !u.slices.has(number) && u.slices.size >= maxSlicesPerUpload)
      tooMany = `${maxSlicesPerUpload} slices of upload ${uploadId} staged already`
    if (tooMany) throw full(`No room to stage slice ${number}: ${tooMany}`)
  }

  return {
    reserve(bytes, uploadId, number, client = '') {
      const cost = bytes + STAGED_SLICE_OVERHEAD_BYTES
      if (used + cost > maxBytes)
        throw full(`No room to stage ${bytes} bytes (${used} of ${maxBytes} staged)`)
      const held = byClient.get(client) ?? 0
      if (held > 0 && held + cost > perClient) {
        throw full(`No room to stage ${bytes} bytes: this client has ${held} of its ${perClient} staged`)
      }
      const room = init.diskRoom?.()
      if (room !== undefined && bytes > room) {
        throw full(`No room on disk to stage ${bytes} bytes (${room} free in the store's budget)`)
      }
      checkCounts(uploadId, number)
      charge(client, cost)
      let released = false
      return () => {
        if (!released) charge(client, -cost)
        released = true
      }
    },
    put(uploadId, slice, client = '') {
      if (committed.has(uploadId)) return false
      // Checked again: other slices may have been held while this body was read.
      checkCounts(uploadId, slice.number)
      let u = uploads.get(uploadId)
      if (!u) {
        u = { slices: new Map(), timer: setTimeout(() => {}, 0), client, createdAt: Date.now() }
        uploads.set(uploadId, u)
        arm(uploadId, u)
      }
      const old = u.slices.get(slice.number)
      if (old) {
        charge(u.client, -(old.data.length + STAGED_SLICE_OVERHEAD_BYTES))
        void old.file?.discard()
      }
      u.slices.set(slice.number, init.writeAhead ? { ...slice, file: init.writeAhead(slice.data) } : slice)
      charge(u.client, slice.data.length + STAGED_SLICE_OVERHEAD_BYTES)
      // Only a new slice buys time: one sent again does not.
      if (!old) arm(uploadId, u)
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
