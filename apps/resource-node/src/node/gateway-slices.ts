import type { Libp2p } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { defineErrorClass, type SliceHash } from '@stratos-edge/core'
import { fetchSlice, isLibp2pAddress, SliceNotFoundError, type SliceRecord } from '@stratos-edge/protocol'
import type { Logger } from '../logger.js'
import type { DiskSliceStore } from '../store/disk-slice-store.js'
import type { SliceReadCache } from '../store/slice-read-cache.js'
import type { MetaAccess } from './meta-access.js'

/**
 * The gateway fetches as many slices from other nodes as it may at once; nothing was read. The gateway
 * answers 503 with Retry-After: try again in a few seconds, or at another node.
 */
export class GatewayBusyError extends defineErrorClass('GatewayBusyError') {}

/** Slices fetched from other nodes at once for the gateway, by default. */
export const MAX_REMOTE_FETCHES = 4

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
  getSlice(hash: SliceHash, signal: AbortSignal): Promise<SliceRecord | undefined>
  /**
   * Bytes [from, to) of a slice, in bounded chunks through the shared read cache; one not held here is
   * fetched from a resource node first (and kept), once for all its readers. Throws SliceNotFoundError
   * when none has it, GatewayBusyError when too many other slices are being fetched.
   */
  readSlice(hash: SliceHash, from: number, to: number, signal: AbortSignal): AsyncGenerator<Uint8Array>
}

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
  const fetching = new Map<SliceHash, Promise<SliceRecord | undefined>>()

  async function providersOf(hash: SliceHash) {
    return (await meta.lookup([hash]))?.get(hash) ?? []
  }

  async function getSlice(hash: SliceHash, signal: AbortSignal): Promise<SliceRecord | undefined> {
    const local = await store.get(hash)
    if (local) return local
    return fetchShared(hash, signal)
  }

  /**
   * The slice from another node: one fetch per slice however many readers wait for it (a reader that
   * leaves does not stop it: the others still want it), and at most `maxRemoteFetches` at once.
   */
  async function fetchShared(hash: SliceHash, signal: AbortSignal): Promise<SliceRecord | undefined> {
    let running = fetching.get(hash)
    if (!running) {
      if (fetching.size >= maxRemoteFetches) {
        throw new GatewayBusyError(
          `The gateway fetches ${fetching.size} slices from other nodes already`,
          'Try again in a few seconds, or at another node',
        )
      }
      running = fetchRemote(hash).finally(() => fetching.delete(hash))
      fetching.set(hash, running)
    }
    signal.throwIfAborted()
    let onAbort = (): void => {}
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(signal.reason)
    })
    signal.addEventListener('abort', onAbort, { once: true })
    try {
      return await Promise.race([running, aborted])
    } finally {
      signal.removeEventListener('abort', onAbort)
    }
  }

  async function fetchRemote(hash: SliceHash): Promise<SliceRecord | undefined> {
    // Not here: fetch it from a resource node that holds it (Node cannot dial browsers over WebRTC).
    for (const p of (await providersOf(hash)).filter((x) => x.kind === 'resource')) {
      if (p.peerId === libp2p.peerId.toString()) continue
      try {
        const peer = peerIdFromString(p.peerId)
        const dialable = p.multiaddrs.filter(isLibp2pAddress)
        if (dialable.length > 0)
          await libp2p.peerStore.merge(peer, { multiaddrs: dialable.map((a) => multiaddr(a)) })
        const slice = await fetchSlice(libp2p, peer, hash, { timeout: 30_000 })
        await store.put(slice, { verified: true }).catch(() => {})
        return slice
      } catch (err) {
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
  ): AsyncGenerator<Uint8Array> {
    if (!(await store.has(hash))) {
      const slice = await getSlice(hash, signal)
      if (!slice) throw new SliceNotFoundError(`Slice ${hash} is not available`, 'Try again later')
      // Not kept (no room): served from the copy fetched.
      if (!(await store.has(hash))) {
        yield slice.data.subarray(from, to)
        return
      }
    }
    yield* readCache.read(hash, from, to, signal)
  }

  return { getSlice, readSlice }
}
