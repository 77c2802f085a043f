import type { FileHash, SliceHash } from '@stratos-edge/core'
import { StoreFullError } from '../errors.js'
import { verifySlice } from './slice-hasher.js'
import type { ManifestStore, SliceInfo, SlicePutOptions, SliceRecord, SliceStore } from './slice-store.js'

/** Options of {@link createMemorySliceStore}. */
export interface MemorySliceStoreInit {
  /** Byte budget (default unlimited). */
  maxBytes?: number
  /** Decodes and verifies a manifest, returning its file hash (inject core's decodeManifest). */
  readManifest?(bytes: Uint8Array): FileHash
}

/**
 * A {@link SliceStore} and {@link ManifestStore} in memory: for tests and short-lived nodes.
 *
 * @example
 * ```ts
 * const store = createMemorySliceStore({ maxBytes: 64 << 20 })
 * await store.put({ hash, fileHash, number: 1, data })
 * ```
 */
export function createMemorySliceStore(
  init: MemorySliceStoreInit = {},
): SliceStore & ManifestStore & { readonly usedBytes: number } {
  const slices = new Map<SliceHash, SliceRecord>()
  const manifests = new Map<FileHash, Uint8Array>()
  let used = 0
  return {
    get usedBytes() {
      return used
    },
    async has(hash) {
      return slices.has(hash)
    },
    async get(hash) {
      return slices.get(hash)
    },
    async info(hash): Promise<SliceInfo | undefined> {
      const s = slices.get(hash)
      return s && { hash: s.hash, fileHash: s.fileHash, number: s.number, size: s.data.length }
    },
    async put(slice, options: SlicePutOptions = {}) {
      if (slices.has(slice.hash)) return false
      if (!options.verified) await verifySlice(slice)
      if (init.maxBytes !== undefined && used + slice.data.length > init.maxBytes) {
        throw new StoreFullError(`No room for ${slice.data.length} bytes`, 'Free space or use another node')
      }
      slices.set(slice.hash, { ...slice, data: slice.data.slice() })
      used += slice.data.length
      return true
    },
    async delete(hash) {
      const s = slices.get(hash)
      if (!s) return false
      slices.delete(hash)
      used -= s.data.length
      return true
    },
    async getManifest(fileHash) {
      return manifests.get(fileHash)
    },
    async putManifest(bytes) {
      if (!init.readManifest) throw new Error('createMemorySliceStore: pass readManifest to store manifests')
      const fileHash = init.readManifest(bytes)
      manifests.set(fileHash, bytes.slice())
      return fileHash
    },
  }
}
