import type { Libp2p, PeerId } from '@libp2p/interface'
import type { SliceHash } from '@stratos-edge/core'
import {
  createIndexHandler,
  INDEX_PROTOCOL,
  type IndexBackend,
  type IndexRequest,
  indexOpName,
  type ProviderRecord,
} from '@stratos-edge/protocol'
import type { ManifestDeleter } from '../meta/manifest-deleter.js'
import type { MetaService } from '../meta/meta-service.js'
import type { DiskSliceStore } from '../store/disk-slice-store.js'
import type { MetaAccess } from './meta-access.js'
import type { NodeMetrics } from './metrics.js'

/** Edges of {@link createLocalIndex}. */
export interface LocalIndexComponents {
  libp2p: Pick<Libp2p, 'peerId'>
  store: Pick<DiskSliceStore, 'has' | 'manifestOwners'>
  meta: Pick<MetaAccess, 'getManifestBytes'>
  deleter: Pick<ManifestDeleter, 'deleteManifest'>
  /** The addresses this node announces. */
  selfAddresses(): string[]
}

/**
 * Index answers when this node does not run the meta service: lookups of what it holds itself, and
 * manifests: a bare file hash as the meta service resolves it (asked, and kept 30 s), an owner's from
 * the store or the meta service.
 */
export function createLocalIndex(components: LocalIndexComponents): IndexBackend {
  const { libp2p, store, meta, deleter } = components
  return {
    lookup: async (hashes) => {
      const self: ProviderRecord = {
        peerId: libp2p.peerId.toString(),
        kind: 'resource',
        multiaddrs: components.selfAddresses(),
      }
      const out = new Map<SliceHash, ProviderRecord[]>()
      for (const h of hashes) out.set(h, (await store.has(h)) ? [self] : [])
      return out
    },
    getManifest: (fileHash, _context, owner) => meta.getManifestBytes(fileHash, owner),
    manifestOwners: (fileHash) => store.manifestOwners(fileHash),
    deleteManifest: async (request, context) => (await deleter.deleteManifest(request, context)).dropped,
  }
}

/**
 * Serves the index protocol: from the in-process meta service when the node runs it, else from
 * {@link createLocalIndex}. Each request is first charged against its peer's index limit (`limit`, the
 * node's `PeerRateLimit.index`): past it the peer gets `RateLimitedError` with the wait, and nothing runs.
 *
 * @example
 * ```ts
 * await handleIndexProtocol(libp2p, { backend: metaService ?? localIndex, metrics, streamTimeoutMs, limit: limits.peers.index })
 * ```
 */
export async function handleIndexProtocol(
  libp2p: Pick<Libp2p, 'handle'>,
  options: {
    backend: IndexBackend | MetaService
    metrics: Pick<NodeMetrics, 'streamErrors' | 'indexRequests'>
    streamTimeoutMs: number | undefined
    /** Refuses a request over its peer's limit (throws `RateLimitedError`); unset: not limited. */
    limit?: (request: IndexRequest, from: PeerId) => Promise<void>
  },
): Promise<void> {
  const { metrics } = options
  await libp2p.handle(
    INDEX_PROTOCOL,
    createIndexHandler({
      backend: options.backend,
      timeout: Math.min(options.streamTimeoutMs ?? 15_000, 15_000),
      onStreamError: (error) => metrics.streamErrors.inc({ protocol: INDEX_PROTOCOL, error: error.name }),
      onRequest: (op) => metrics.indexRequests.inc({ op: indexOpName(op) }),
      ...(options.limit ? { admit: (request, context) => options.limit?.(request, context.peer) } : {}),
    }),
    // Outbound too: a node without --meta asks the meta service over this protocol for every request.
    { maxInboundStreams: 1024, maxOutboundStreams: 1024, runOnLimitedConnection: true },
  )
}
