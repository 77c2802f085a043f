import type { Libp2p } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import {
  decodeManifest,
  type FileHash,
  isErrorNamed,
  type Manifest,
  type SliceHash,
} from '@stratos-edge/core'
import { createIndexClient, type PeerAddress, type ProviderRecord } from '@stratos-edge/protocol'
import type { Logger } from '../logger.js'
import type { MetaService } from '../meta/meta-service.js'
import type { DiskSliceStore } from '../store/disk-slice-store.js'

/** How long the meta service's answer to a bare file hash is used again by a node without it, ms. */
const RESOLVED_KEPT_MS = 30_000
/** Bare file hashes whose answer from the meta service is kept at once. */
const RESOLVED_KEPT_FILES = 1024
/** How long the meta service's word on whether a peer is a registered resource node is used again. */
const REGISTRY_KEPT_MS = 30_000
/** Peers whose registry entry (or absence) is kept at once. */
const REGISTRY_KEPT_PEERS = 1024

/** A manifest with the signed bytes it was decoded from. */
interface FoundManifest {
  bytes: Uint8Array
  manifest: Manifest
}

/** Components of {@link createMetaAccess}. */
export interface MetaAccessComponents {
  libp2p: Pick<Libp2p, 'peerId' | 'dialProtocol'>
  store: Pick<DiskSliceStore, 'getManifest' | 'putManifest'>
  logger: Logger
  /** The meta service in this process, if the node runs it. */
  metaService?: MetaService | undefined
  /** Otherwise, where the meta service is (asked over the index protocol). */
  metaAddr?: Multiaddr | undefined
  /** How this node appears to its in-process meta service (for nearest-first answers). */
  selfObservedAddr: string
}

/** What the node asks of the meta service, wherever it runs. */
export interface MetaAccess {
  /**
   * The manifest of a file: with `owner`, that owner's (kept here, or from the meta service); without,
   * the one the meta service resolves the bare file hash to.
   */
  getManifest(fileHash: FileHash, owner?: string, signal?: AbortSignal): Promise<Manifest | undefined>
  /**
   * The same manifest's signed bytes, for the index protocol this node answers: what light nodes asking
   * it get is what the meta service resolves, not whichever manifest happens to be kept here. A node
   * that knows no meta service answers from its store.
   */
  getManifestBytes(fileHash: FileHash, owner?: string): Promise<Uint8Array | undefined>
  /** Providers per slice; undefined without a meta service. */
  lookup(hashes: SliceHash[]): Promise<Map<SliceHash, ProviderRecord[]> | undefined>
  /**
   * The forward targets an uploader named that the meta service's registry lists as resource nodes,
   * with the addresses the registry knows: an uploader names peer ids, never where this node dials.
   * Without a meta service to ask, nobody.
   */
  forwardTargets(forward: readonly PeerAddress[]): Promise<PeerAddress[]>
}

/**
 * Creates the node's access to the meta service: the one in this process, or the configured one over
 * the index protocol (its answers to bare file hashes and registry questions kept 30 s).
 *
 * @example
 * ```ts
 * const meta = createMetaAccess({ libp2p, store, logger, metaAddr, selfObservedAddr })
 * const manifest = await meta.getManifest(fileHash)
 * ```
 */
export function createMetaAccess(components: MetaAccessComponents): MetaAccess {
  const { libp2p, store, logger, metaService, metaAddr, selfObservedAddr } = components
  /** Answers of the meta service to bare file hashes (a node without it), most recent last. */
  const resolvedRemotely = new Map<FileHash, { at: number; found: FoundManifest }>()

  /** Only when the meta service cannot be reached is a manifest kept here used for a bare file hash. */
  async function findManifest(
    fileHash: FileHash,
    owner?: string,
    signal?: AbortSignal,
  ): Promise<FoundManifest | undefined> {
    // Signatures of manifests kept here were checked when they were stored.
    const kept = (bytes: Uint8Array | undefined) =>
      bytes && { bytes, manifest: decodeManifest(bytes, { verify: false }) }
    if (owner === undefined && metaService) return kept(await metaService.resolveManifest(fileHash))
    if (owner !== undefined) {
      const stored = await store.getManifest(fileHash, owner)
      if (stored) return kept(stored)
    } else {
      const known = resolvedRemotely.get(fileHash)
      if (known && Date.now() - known.at < RESOLVED_KEPT_MS) return known.found
    }
    if (!metaAddr) return undefined
    try {
      const bytes = await createIndexClient(libp2p, metaAddr).getManifest(fileHash, {
        timeout: 10_000,
        ...(owner ? { owner } : {}),
        ...(signal ? { signal } : {}),
      })
      const found = { bytes, manifest: decodeManifest(bytes) } // checks the signature: served even when not kept
      await store
        .putManifest(bytes)
        .catch((error: unknown) => logger.warn('manifest not kept', { fileHash, error }))
      if (owner === undefined) {
        resolvedRemotely.delete(fileHash) // re-inserted last: the oldest entry is the first to go
        resolvedRemotely.set(fileHash, { at: Date.now(), found })
        if (resolvedRemotely.size > RESOLVED_KEPT_FILES)
          resolvedRemotely.delete(resolvedRemotely.keys().next().value as FileHash)
      }
      return found
    } catch (err) {
      logger.debug('manifest not found at meta service', { fileHash, error: err })
      if (owner !== undefined || isErrorNamed(err, 'SliceNotFoundError')) return undefined
      // The meta service cannot be asked: a manifest kept here is better than none.
      return kept(await store.getManifest(fileHash))
    }
  }

  async function getManifest(
    fileHash: FileHash,
    owner?: string,
    signal?: AbortSignal,
  ): Promise<Manifest | undefined> {
    return (await findManifest(fileHash, owner, signal))?.manifest
  }

  async function getManifestBytes(fileHash: FileHash, owner?: string): Promise<Uint8Array | undefined> {
    // A node that knows no meta service answers from its own store.
    if (!metaService && !metaAddr) return store.getManifest(fileHash, owner)
    return (await findManifest(fileHash, owner))?.bytes
  }

  /** Providers per slice from the meta service (in this process, or the configured one); undefined without one. */
  async function lookup(hashes: SliceHash[]): Promise<Map<SliceHash, ProviderRecord[]> | undefined> {
    if (metaService) {
      const ctx = { peer: libp2p.peerId, remoteAddr: selfObservedAddr }
      return metaService.lookup(hashes, 8, ctx)
    }
    if (metaAddr) return createIndexClient(libp2p, metaAddr).lookup(hashes, { limit: 8 })
    return undefined
  }

  /** Registered resource nodes by peer id as the remote meta service listed them (or not), by time. */
  const listedNodes = new Map<string, { at: number; node: ProviderRecord | undefined }>()
  async function forwardTargets(forward: readonly PeerAddress[]): Promise<PeerAddress[]> {
    const self = libp2p.peerId.toString()
    const ids = [...new Set(forward.map((f) => f.peerId))].filter((id) => id !== self)
    if (ids.length === 0) return []
    if (metaService) return metaService.resourceNodes(ids)
    if (!metaAddr) return []
    const fresh = (id: string) => {
      const kept = listedNodes.get(id)
      return kept !== undefined && Date.now() - kept.at < REGISTRY_KEPT_MS
    }
    const ask = ids.filter((id) => !fresh(id))
    if (ask.length > 0) {
      const nodes = await createIndexClient(libp2p, metaAddr)
        .resourceNodes(ask, { timeout: 5000 })
        .catch((error: unknown) => {
          logger.warn('the meta service did not list forward targets; not forwarding', { error })
          return undefined
        })
      if (nodes) {
        for (const id of ask) {
          listedNodes.delete(id) // re-inserted last: the oldest entry is the first to go
          listedNodes.set(id, { at: Date.now(), node: nodes.find((n) => n.peerId === id) })
          if (listedNodes.size > REGISTRY_KEPT_PEERS)
            listedNodes.delete(listedNodes.keys().next().value as string)
        }
      }
    }
    return ids.flatMap((id) => {
      const node = listedNodes.get(id)?.node
      return node ? [node] : []
    })
  }

  return { getManifest, getManifestBytes, lookup, forwardTargets }
}
