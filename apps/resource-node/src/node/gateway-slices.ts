import type { Libp2p } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { defineErrorClass, type SliceHash } from '@stratos-edge/core'
import {
  fetchSlice,
  isLibp2pAddress,
  type ProviderRecord,
  SliceNotFoundError,
  type SliceRecord,
} from '@stratos-edge/protocol'
import type { Logger } from '../logger.js'
import type { DiskSliceStore } from '../store/disk-slice-store.js'
import type { SliceReadCache } from '../store/slice-read-cache.js'
import type { MetaAccess } from './meta-access.js'
import { createSliceProviders } from './slice-providers.js'

/**
 * The gateway fetches as many slices from other nodes as it may at once; nothing was read. The gateway
 * answers 503 with Retry-After: try again in a few seconds, or at another node.
 */
export class GatewayBusyError extends defineErrorClass('GatewayBusyError') {}

/** Slices fetched from other nodes at once for the gateway, by default. */
export const MAX_REMOTE_FETCHES = 4

/**
 * Waits between index lookups for slices nobody has announced yet, ms (3 s in all). Right after an
 * upload the manifest is indexed before the storing nodes' batched announcements arrive (they announce
 * within a second or two); a reader of a recent file waits that long rather than get a cut body. Each
 * is at least the "nobody has it" cache time, so concurrent readers share each lookup.
 */
export const UNANNOUNCED_WAITS_MS: readonly number[] = [250, 500, 750, 750, 750]

/** How a read looks for slices no node is known to hold. */
export interface SliceWaitOptions {
  /**
   * Whether to wait for late announcements ({@link UNANNOUNCED_WAITS_MS}): only for a recent file, where
   * they can still come. Default true.
   */
  waitForAnnounce?: boolean
}

/** Components of {@link createGatewaySlices}. */
export interface GatewaySlicesComponents {
  libp2p: Pick<Libp2p, 'peerId' | 'peerStore' | 'dialProtocol'>
  store: Pick<DiskSliceStore, 'get' | 'has' | 'put'>
  readCache: SliceReadCache
  meta: Pick<MetaAccess, 'lookup'>
  logger: Logger
  /**
   * Slices fetched from other nodes at once (default {@link MAX_REMOTE_FETCHES}): each is held whole in
   * memory while it comes; a read needing another one meanwhile throws GatewayBusyError.
   */
  maxRemoteFetches?: number
}

/** Where the gateway's slice bytes come from. */
export interface GatewaySlices {
  /** A verified slice, here or fetched from a resource node that holds it (and kept); or undefined. */
  getSlice(hash: SliceHash, signal: AbortSignal, options?: SliceWaitOptions): Promise<SliceRecord | undefined>
  /**
   * Bytes [from, to) of a slice, in bounded chunks through the shared read cache; one not held here is
   * fetched from a resource node first (and kept), once for all its readers. Throws SliceNotFoundError
   * when none has it, GatewayBusyError when too many other slices are being fetched.
   */
  readSlice(
    hash: SliceHash,
    from: number,
    to: number,
    signal: AbortSignal,
    options?: SliceWaitOptions,
  ): AsyncGenerator<Uint8Array>
  /**
   * Of `hashes`, the slices neither held here nor announced by another resource node, after asking the
   * index again with short waits when `waitForAnnounce`; none when there is no index to ask. Index
   * answers are cached briefly and shared by concurrent reads.
   */
  unknownSlices(
    hashes: readonly SliceHash[],
    signal: AbortSignal,
    options?: SliceWaitOptions,
  ): Promise<SliceHash[]>
}

/** A fetch from other nodes under way: its readers share it; when the last leaves, it stops. */
interface RemoteFetch {
  result: Promise<SliceRecord | undefined>
  stop: AbortController
  readers: number
}

/** Resolves after `ms`, or at once when `signal` aborts. */
const pause = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(done, ms)
    function done(): void {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    signal?.addEventListener('abort', done, { once: true })
  })

/**
 * Creates the gateway's slice source: the store through the read cache, and other resource nodes the
 * meta service lists for slices not held here (Node cannot dial browsers over WebRTC).
 *
 * @example
 * ```ts
 * const slices = createGatewaySlices({ libp2p, store, readCache, meta, logger })
 * for await (const chunk of slices.readSlice(hash, 0, size, signal)) res.write(chunk)
 * ```
 */
export function createGatewaySlices(components: GatewaySlicesComponents): GatewaySlices {
  const { libp2p, store, readCache, meta, logger } = components
  const maxRemoteFetches = components.maxRemoteFetches ?? MAX_REMOTE_FETCHES
  /** Fetches from other nodes under way, by slice: its readers share one. */
  const fetching = new Map<SliceHash, RemoteFetch>()
  const self = libp2p.peerId.toString()
  const otherResourceNode = (p: ProviderRecord): boolean => p.kind === 'resource' && p.peerId !== self
  // Browsers' announcements do not keep "nobody this node can dial" long: a resource node's may follow.
  const index = createSliceProviders({ lookup: (hashes) => meta.lookup(hashes), useful: otherResourceNode })

  async function providersOf(hash: SliceHash): Promise<ProviderRecord[]> {
    return ((await index.of([hash]))?.get(hash) ?? []).filter(otherResourceNode)
  }

  async function unknownSlices(
    hashes: readonly SliceHash[],
    signal: AbortSignal,
    options: SliceWaitOptions = {},
  ): Promise<SliceHash[]> {
    const waits = options.waitForAnnounce === false ? [] : UNANNOUNCED_WAITS_MS
    let unknown: SliceHash[] = []
    for (const h of new Set(hashes)) if (!(await store.has(h))) unknown.push(h)
    for (let attempt = 0; unknown.length > 0 && !signal.aborted; attempt++) {
      // An index that cannot answer says nothing: the read goes on and finds out slice by slice.
      const found = await index.of(unknown)
      if (!found) return []
      unknown = unknown.filter((h) => !(found.get(h) ?? []).some(otherResourceNode))
      const wait = waits[attempt]
      if (unknown.length === 0 || wait === undefined) break
      await pause(wait, signal)
    }
    return unknown
  }

  async function getSlice(
    hash: SliceHash,
    signal: AbortSignal,
    options: SliceWaitOptions = {},
  ): Promise<SliceRecord | undefined> {
    const local = await store.get(hash)
    if (local) return local
    return fetchShared(hash, signal, options.waitForAnnounce !== false)
  }

  /**
   * The slice from another node: one fetch per slice however many readers wait for it, and at most
   * `maxRemoteFetches` at once. A reader that leaves does not stop it while others still want it; when
   * the last leaves, it stops (its waits too) and frees its place at once.
   */
  async function fetchShared(
    hash: SliceHash,
    signal: AbortSignal,
    wait: boolean,
  ): Promise<SliceRecord | undefined> {
    signal.throwIfAborted()
    let running = fetching.get(hash)
    if (!running) {
      if (fetching.size >= maxRemoteFetches) {
        throw new GatewayBusyError(
          `The gateway fetches ${fetching.size} slices from other nodes already`,
          'Try again in a few seconds, or at another node',
        )
      }
      const stop = new AbortController()
      const started: RemoteFetch = { result: fetchRemote(hash, stop.signal, wait), stop, readers: 0 }
      void started.result.finally(() => {
        if (fetching.get(hash) === started) fetching.delete(hash)
      })
      fetching.set(hash, started)
      running = started
    }
    const shared = running
    shared.readers++
    let onAbort = (): void => {}
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(signal.reason)
    })
    signal.addEventListener('abort', onAbort, { once: true })
    try {
      return await Promise.race([shared.result, aborted])
    } finally {
      signal.removeEventListener('abort', onAbort)
      if (--shared.readers === 0 && signal.aborted) {
        shared.stop.abort()
        if (fetching.get(hash) === shared) fetching.delete(hash)
      }
    }
  }

  /**
   * The slice from a resource node that holds it (Node cannot dial browsers over WebRTC). When none is
   * announced yet and `wait`, the index is asked again with short waits, so a read under way is not cut.
   */
  async function fetchRemote(
    hash: SliceHash,
    signal: AbortSignal,
    wait: boolean,
  ): Promise<SliceRecord | undefined> {
    const waits = wait ? UNANNOUNCED_WAITS_MS : []
    let providers = await providersOf(hash)
    for (let attempt = 0; providers.length === 0; attempt++) {
      const ms = waits[attempt]
      if (ms === undefined || signal.aborted) return undefined
      await pause(ms, signal)
      if (signal.aborted) return undefined
      providers = await providersOf(hash)
    }
    for (const p of providers) {
      if (signal.aborted) return undefined
      try {
        const peer = peerIdFromString(p.peerId)
        const dialable = p.multiaddrs.filter(isLibp2pAddress)
        if (dialable.length > 0)
          await libp2p.peerStore.merge(peer, { multiaddrs: dialable.map((a) => multiaddr(a)) })
        const slice = await fetchSlice(libp2p, peer, hash, { timeout: 30_000, signal })
        await store.put(slice, { verified: true }).catch(() => {})
        return slice
      } catch (err) {
        if (signal.aborted) return undefined
        logger.warn('gateway fetch from provider failed', { hash, provider: p.peerId, error: err })
      }
    }
    return undefined
  }

  /**
   * Bytes [from, to) of a slice for the gateway, in bounded chunks through the shared read cache; one
   * not held here is fetched from a resource node first (and kept).
   */
  async function* readSlice(
    hash: SliceHash,
    from: number,
    to: number,
    signal: AbortSignal,
    options: SliceWaitOptions = {},
  ): AsyncGenerator<Uint8Array> {
    if (!(await store.has(hash))) {
      const slice = await getSlice(hash, signal, options)
      if (!slice) throw new SliceNotFoundError(`Slice ${hash} is not available`, 'Try again later')
      // Not kept (no room): served from the copy fetched.
      if (!(await store.has(hash))) {
        yield slice.data.subarray(from, to)
        return
      }
    }
    yield* readCache.read(hash, from, to, signal)
  }

  return { getSlice, readSlice, unknownSlices }
}
