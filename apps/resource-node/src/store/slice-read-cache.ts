import type { SliceHash } from '@stratos-edge/core'
import { SliceNotFoundError } from '@stratos-edge/protocol'
import type { DiskSliceStore } from './disk-slice-store.js'

/** Options of {@link createSliceReadCache}. */
export interface SliceReadCacheInit {
  /** Most bytes of slice data kept in memory for readers, over all slices (default 64 MiB). */
  maxBytes?: number
  /** Bytes read from disk at once, and the unit kept (default 256 KiB). */
  chunkBytes?: number
}

/** Components of {@link createSliceReadCache}. */
export interface SliceReadCacheComponents {
  store: Pick<DiskSliceStore, 'verifyOnce' | 'readData' | 'info'>
}

/** Slice data read from disk in bounded chunks, shared by every reader through one size-capped cache. */
export interface SliceReadCache {
  /**
   * Bytes [from, to) of a held slice, in chunks of at most `chunkBytes`, the next one read while this
   * one is used. The slice is verified on its first read since the store opened. Throws
   * SliceNotFoundError when it is not held, or not intact.
   */
  read(hash: SliceHash, from: number, to: number, signal?: AbortSignal): AsyncGenerator<Uint8Array>
  /** Bytes kept now. */
  readonly cachedBytes: number
}

/**
 * Creates the read cache. Memory stays bounded whatever the number of readers: the cache holds at most
 * `maxBytes` (least recently used chunks go first), each reader holds at most two chunks beyond it (the
 * one being sent and the next), and concurrent readers of one chunk share one disk read.
 *
 * @example
 * ```ts
 * const cache = createSliceReadCache({ maxBytes: 64 * 2 ** 20 }, { store })
 * for await (const chunk of cache.read(hash, 0, size)) res.write(chunk)
 * ```
 */
export function createSliceReadCache(
  init: SliceReadCacheInit,
  components: SliceReadCacheComponents,
): SliceReadCache {
  const { store } = components
  const maxBytes = init.maxBytes ?? 64 * 1024 * 1024
  const chunkBytes = init.chunkBytes ?? 256 * 1024
  /** Chunks by `<hash>:<index>`, least recently used first. */
  const kept = new Map<string, Uint8Array>()
  const loading = new Map<string, Promise<Uint8Array>>()
  let cached = 0

  const missing = (hash: SliceHash): SliceNotFoundError =>
    new SliceNotFoundError(`Slice ${hash} is not held here (or not intact)`, 'Ask another provider')

  const keep = (key: string, data: Uint8Array): void => {
    if (data.length > maxBytes) return
    kept.set(key, data)
    cached += data.length
    while (cached > maxBytes) {
      const [oldest, bytes] = kept.entries().next().value as [string, Uint8Array]
      kept.delete(oldest)
      cached -= bytes.length
    }
  }

  const chunk = (hash: SliceHash, index: number, size: number): Promise<Uint8Array> => {
    const key = `${hash}:${index}`
    const hit = kept.get(key)
    if (hit) {
      kept.delete(key) // re-inserted last: most recently used
      kept.set(key, hit)
      return Promise.resolve(hit)
    }
    let running = loading.get(key)
    if (!running) {
      const offset = index * chunkBytes
      const length = Math.min(chunkBytes, size - offset)
      running = store
        .readData(hash, offset, length)
        .then((data) => {
          if (!data || data.length !== length) throw missing(hash)
          keep(key, data)
          return data
        })
        .finally(() => loading.delete(key))
      loading.set(key, running)
    }
    return running
  }

  return {
    async *read(hash, from, to, signal) {
      if (to <= from) return
      if (!(await store.verifyOnce(hash))) throw missing(hash)
      const info = await store.info(hash)
      if (!info || to > info.size) throw missing(hash)
      const last = Math.floor((to - 1) / chunkBytes)
      let next = chunk(hash, Math.floor(from / chunkBytes), info.size)
      for (let i = Math.floor(from / chunkBytes); i <= last; i++) {
        const current = next
        if (i < last) {
          next = chunk(hash, i + 1, info.size)
          next.catch(() => {}) // one read ahead and never awaited (the reader left) must not fail unhandled
        }
        const data = await current
        signal?.throwIfAborted()
        const base = i * chunkBytes
        yield data.subarray(Math.max(from, base) - base, Math.min(to, base + data.length) - base)
      }
    },
    get cachedBytes() {
      return cached
    },
  }
}
