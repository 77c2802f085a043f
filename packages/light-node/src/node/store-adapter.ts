import type { SliceHash } from '@stratos-edge/core'
import type { SliceGetOptions, SliceInfo, SliceRecord, SliceStore } from '@stratos-edge/protocol'
import { SliceVerificationError } from '../errors.js'
import type { IdbSliceStore, SliceMeta } from '../store/idb-slice-store.js'

/** Options of {@link createStoreAdapter}. */
export interface StoreAdapterOptions {
  /** Fault injection for tests: serve slices with one byte flipped. */
  corruptServedSlices?: boolean
}

/**
 * Presents the IndexedDB store as the protocol package's `SliceStore`, so the shared slice services
 * serve from it. Slices pushed to a light node are kept as cached (evictable) slices.
 */
export function createStoreAdapter(store: IdbSliceStore, options: StoreAdapterOptions = {}): SliceStore {
  return {
    has: (hash) => store.has(hash),
    async info(hash): Promise<SliceInfo | undefined> {
      const meta = await store.meta(hash)
      return meta
        ? { hash: meta.hash, fileHash: meta.fileHash, number: meta.number, size: meta.size }
        : undefined
    },
    async get(hash: SliceHash, getOptions?: SliceGetOptions): Promise<SliceRecord | undefined> {
      let meta: SliceMeta
      let data: Uint8Array
      try {
        // A peer fetching the slice verifies it: it is hashed here only once since the store opened.
        ;({ meta, data } = await store.read(hash, getOptions?.reverify === false ? { reverify: false } : {}))
      } catch {
        return undefined // not stored, or corrupt (and deleted)
      }
      if (options.corruptServedSlices && data.length > 0) {
        data = data.slice()
        data[data.length >> 1] = (data[data.length >> 1] as number) ^ 0xff
      }
      return { hash, fileHash: meta.fileHash, number: meta.number, data }
    },
    async put(slice, putOptions) {
      if (await store.has(slice.hash)) return false
      if (!putOptions?.verified) {
        const actual = await store.hashOf(slice.number, slice.data, slice.fileHash)
        if (actual !== slice.hash) {
          throw new SliceVerificationError(
            `Slice hashes to ${actual}, not ${slice.hash}`,
            'Send the slice as it was hashed',
          )
        }
      }
      await store.putMany([{ ...slice, pinned: false }])
      return true
    },
    async delete(hash) {
      const had = await store.has(hash)
      await store.delete(hash)
      return had
    },
  }
}
