import { mkdir } from 'node:fs/promises'
import { multiaddr } from '@multiformats/multiaddr'
import type { SliceHash } from '@stratos-edge/core'
import { httpUrlToMultiaddr, type SliceService } from '@stratos-edge/protocol'
import { type Gateway, startGateway } from '../gateway/gateway.js'
import { createNodeRateLimits } from '../gateway/rate-limit-node.js'
import { createUploadStaging } from '../gateway/upload-staging.js'
import { createUploadRefunds } from '../ledger/upload-refunds.js'
import { createLogger, type Logger } from '../logger.js'
import type { DeleteForwarder } from '../meta/delete-forwarder.js'
import { createManifestDeleter } from '../meta/manifest-deleter.js'
import { createMetaService, type MetaService } from '../meta/meta-service.js'
import { registerMetaTrafficMetrics } from '../meta/meta-traffic-metrics.js'
import { openDiskSliceStore } from '../store/disk-slice-store.js'
import { createSliceHashPool } from '../store/hash-pool.js'
import { createSliceReadCache } from '../store/slice-read-cache.js'
import { createStoreWithRoom } from '../store/store-with-room.js'
import { type Announcer, createAnnouncer } from './announcer.js'
import { createGatewaySlices } from './gateway-slices.js'
import { createMetaAccess } from './meta-access.js'
import { createMetaPeerIds } from './meta-peer-ids.js'
import { createNodeMetrics } from './metrics.js'
import { createNodeTickets, type NodeTickets } from './node-tickets.js'
import { loadOrCreatePeerKey } from './peer-key.js'
import type { ReceiptExchange } from './receipt-exchange.js'
import { createReplicator, type Replicator } from './replicator.js'
import type { ResourceNode, ResourceNodeComponents, ResourceNodeInit } from './resource-node-init.js'
import { createNodeTraffic, metaTrafficAccessOf } from './traffic-node.js'
import { registerDeleteForwardingMetrics, wireDeleteForwarding } from './wire-delete-forwarding.js'
import { createLocalIndex, handleIndexProtocol } from './wire-index-protocol.js'
import { createNodeLibp2p, ipProtocolOf } from './wire-libp2p.js'
import { wireMetaTraffic } from './wire-meta-traffic.js'
import { wireReceipts } from './wire-receipts.js'
import { wireSelfRegistration } from './wire-self-registration.js'
import { wireSliceArrival } from './wire-slice-arrival.js'
import { wireSliceProtocols } from './wire-slice-protocols.js'
import { wireUploadRoute } from './wire-upload-route.js'

export type {
  ReadyInfo,
  ResourceNode,
  ResourceNodeComponents,
  ResourceNodeInit,
} from './resource-node-init.js'
export { DEFAULT_TCP_PORT, DEFAULT_WS_PORT } from './wire-libp2p.js'

/** Default HTTP gateway port (127.0.0.1). */
export const DEFAULT_HTTP_PORT = 7480

/**
 * Creates a resource node: durable disk slice store, libp2p (TCP for nodes, WebSockets for browsers,
 * noise, yamux, identify, ping, circuit-relay-v2 server), the slice protocols, replication to `forward`
 * targets, the HTTP gateway with Prometheus metrics, and optionally the meta service. Each feature's
 * wiring is its own `wire-*` factory; this is the list of parts and their lifecycle.
 *
 * @example
 * ```ts
 * const node = await createResourceNode({ dataDir: '.data/node-1', meta: true, tcpPort: 0, wsPort: 0, httpPort: 0 })
 * await node.start()
 * console.log(node.readyInfo())
 * ```
 */
export async function createResourceNode(
  init: ResourceNodeInit,
  components: Partial<ResourceNodeComponents> = {},
): Promise<ResourceNode> {
  const logger = components.logger ?? createLogger()
  // A bad public URL fails here, not in every later announcement.
  if (init.publicGatewayUrl !== undefined) httpUrlToMultiaddr(init.publicGatewayUrl)
  await mkdir(init.dataDir, { recursive: true })
  const tickets = init.tickets
    ? await createNodeTickets(init.tickets, { dataDir: init.dataDir, meta: Boolean(init.meta), logger })
    : undefined
  try {
    return await assembleResourceNode(init, { ...components, logger }, tickets)
  } catch (err) {
    // A start-up that failed past this point leaves nobody to close the tickets' sqlite handles.
    await tickets?.close().catch(() => {})
    throw err
  }
}

/** The rest of {@link createResourceNode}, once the node's tickets are open. */
async function assembleResourceNode(
  init: ResourceNodeInit,
  components: Partial<ResourceNodeComponents> & { logger: Logger },
  tickets: NodeTickets | undefined,
): Promise<ResourceNode> {
  const host = init.host ?? '127.0.0.1'
  const { logger } = components
  const privateKey = components.privateKey ?? (await loadOrCreatePeerKey(init.dataDir))
  const hashPool = createSliceHashPool()
  let onRemoved: (hash: SliceHash) => void = () => {}
  const store = await openDiskSliceStore({
    dir: `${init.dataDir}/store`,
    logger,
    onRemoved: (hash) => onRemoved(hash),
    hashSlice: hashPool.hashSlice,
    sliceDigest: hashPool.fileDigest,
    ...(init.maxBytes !== undefined ? { maxBytes: init.maxBytes } : {}),
  })
  const readCache = createSliceReadCache(
    init.readCacheBytes !== undefined ? { maxBytes: init.readCacheBytes } : {},
    { store },
  )
  const maxStagedBytes = init.maxStagedBytes ?? 256 * 1024 * 1024
  const staging = createUploadStaging({
    writeAhead: (data) => store.writeStaged(data),
    maxBytes: maxStagedBytes,
    // One client stages at most half: a stranger renewing uploads cannot hold all of it, and a browser
    // still stages a whole 64 MiB file (16 slices of 4 MiB) before its commit.
    maxBytesPerClient: Math.floor(maxStagedBytes / 2),
    diskRoom: () => Math.max(0, store.maxBytes - store.usedBytes),
  })
  const metaTraffic = await wireMetaTraffic(init, {
    tickets,
    store,
    logger,
    resolveManifest: (fileHash) => metaService?.resolveManifest(fileHash),
  })
  const libp2p = await createNodeLibp2p(init, { privateKey, host })
  const deleter = createManifestDeleter(
    // Deletes the meta service forwards may be older than core's window (it kept them for a node that was down).
    { network: init.tickets?.network, relayedBy: () => metaPeers.ids() },
    {
      manifests: store,
      // Kept until evicted: no manifest names them now, so no owner's ozone keeps them.
      released: (fileHash, hashes) => {
        logger.info('slices released', { fileHash, slices: hashes.length })
        room.eviction.forget(fileHash) // called on a delete, long after `room` below is made
      },
      // The meta node records the delete in its outbox before dropping it: a crash between still forwards.
      beforeDrop: (d) => deletes?.forward(d) ?? Promise.resolve(),
    },
  )
  // The meta node gives back what upload tickets reserved and their files did not use.
  const uploadRefunds =
    init.meta && tickets?.store ? createUploadRefunds({}, { store: tickets.store, logger }) : undefined
  const deletes: DeleteForwarder | undefined = init.meta
    ? wireDeleteForwarding(init.dataDir, {
        libp2p,
        resourceNodes: () => metaService?.registeredResourceNodes() ?? [],
        logger,
      })
    : undefined
  const metaService: MetaService | undefined = init.meta
    ? createMetaService({
        manifests: store,
        deleter,
        ...(deletes ? { deletes } : {}),
        logger,
        ...(tickets?.issuer ? { tickets: tickets.issuer } : {}),
        ...(tickets ? { ticketGate: tickets.gate, closedRegistry: true } : {}),
        ...(init.resourcePeers ? { resourcePeers: init.resourcePeers } : {}),
        ...(metaTraffic ? { traffic: metaTraffic } : {}),
        ...(uploadRefunds ? { onUploadCommitted: uploadRefunds.committed } : {}),
      })
    : undefined

  const metrics = createNodeMetrics({
    storeUsedBytes: () => store.usedBytes,
    storeMaxBytes: () => store.maxBytes,
    storeSlices: () => store.sliceCount,
    connections: () => libp2p.getConnections().length,
    ...(metaService ? { metaPeers: () => metaService.stats() } : {}),
  })
  if (metaTraffic) registerMetaTrafficMetrics(metrics.registry, metaTraffic)
  if (deletes) registerDeleteForwardingMetrics(metrics.registry, deletes)
  const replicator: Replicator = createReplicator({ libp2p, store, logger, metrics })
  const metaAddr = !init.meta && init.bootstrap?.[0] ? multiaddr(init.bootstrap[0]) : undefined
  // Every bootstrap address's peer id, and the peer a bootstrap address without one reached.
  const metaPeers = createMetaPeerIds(init.meta ? [] : (init.bootstrap ?? []), logger)
  let gateway: Gateway | undefined
  let sliceService: SliceService | undefined
  let receipts: ReceiptExchange | undefined
  /** The HTTP upload endpoint as a multiaddr, announced ahead of the libp2p addresses. */
  const httpAddresses = (): string[] =>
    gateway ? [httpUrlToMultiaddr(init.publicGatewayUrl ?? gateway.url)] : []
  const selfAddresses = (): string[] =>
    [...httpAddresses(), ...libp2p.getMultiaddrs().map(String)].slice(0, 32)
  const announcer: Announcer | undefined = metaAddr
    ? createAnnouncer({ libp2p, meta: metaAddr, store, logger, extraAddresses: httpAddresses })
    : undefined
  const selfObservedAddr = `/${ipProtocolOf(host)}/${host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host}/tcp/0`
  const registration = wireSelfRegistration({
    libp2p,
    store,
    metaService,
    announcer,
    selfAddresses,
    selfObservedAddr,
  })
  onRemoved = registration.removed

  const meta = createMetaAccess({ libp2p, store, logger, metaService, metaAddr, selfObservedAddr })
  const localIndex = createLocalIndex({ libp2p, store, meta, deleter, selfAddresses })
  const slices = createGatewaySlices({ libp2p, store, readCache, meta, logger })
  const providerTraffic = init.providerTraffic
    ? await createNodeTraffic(init.providerTraffic, {
        dataDir: init.dataDir,
        logger,
        metrics,
        meta: metaTrafficAccessOf({ libp2p, metaService, metaAddr, selfObservedAddr }),
        // The receipt exchange starts with the node; asked only when the status is read.
        receipts: async () => (await receipts?.held()) ?? [],
      })
    : undefined

  const limits = createNodeRateLimits(init, { metrics, meta })
  const room = createStoreWithRoom(init, {
    store,
    metrics,
    logger,
    libp2p,
    metaAddr,
    ticketExpiry: tickets?.gate.expiryOf,
  })
  const arrival = wireSliceArrival({ metrics, meta, replicator, registration, logger })

  const node: ResourceNode = {
    get peerId() {
      return libp2p.peerId
    },
    get multiaddrs() {
      return libp2p.getMultiaddrs()
    },
    get gatewayUrl() {
      return gateway?.url ?? ''
    },
    libp2p,
    store,
    metrics,
    metaService,
    metaTraffic,
    replicationIdle: () => arrival.idle(),
    readyInfo() {
      const multiaddrs = libp2p.getMultiaddrs().map(String)
      return {
        event: 'ready',
        peerId: libp2p.peerId.toString(),
        multiaddrs,
        wsMultiaddrs: multiaddrs.filter((a) => a.includes('/ws')),
        gatewayUrl: gateway?.url ?? '',
        meta: Boolean(init.meta),
        dataDir: init.dataDir,
        ...(tickets?.issuer ? { ticketIssuer: tickets.issuer.address } : {}),
        ...(providerTraffic ? { trafficAccount: providerTraffic.key.evmAddress } : {}),
      }
    },
    async start() {
      await libp2p.start()
      await deletes?.start() // before the index protocol takes deletes: the outbox is loaded first
      gateway = await startGateway({
        host,
        port: init.httpPort ?? DEFAULT_HTTP_PORT,
        metrics,
        logger,
        getManifest: meta.getManifest,
        readSlice: slices.readSlice,
        unknownSlices: slices.unknownSlices,
        ...(providerTraffic
          ? { onFileBytes: providerTraffic.onFileBytes, trafficStatus: providerTraffic.status }
          : {}),
        ...(init.writeTimeoutMs !== undefined ? { writeTimeoutMs: init.writeTimeoutMs } : {}),
        rateLimit: limits.gateway,
        health: () => ({
          status: 'ok',
          peerId: libp2p.peerId.toString(),
          slices: store.sliceCount,
          usedBytes: store.usedBytes,
          maxBytes: store.maxBytes,
          connections: libp2p.getConnections().length,
          meta: Boolean(metaService),
        }),
        ...(metaTraffic
          ? {
              metaTrafficStatus: async (a: string | undefined) =>
                metaTraffic.trafficStatus(a, { peer: libp2p.peerId, remoteAddr: selfObservedAddr }),
            }
          : {}),
        sliceUpload: wireUploadRoute(init, {
          peerId: libp2p.peerId.toString(),
          store,
          room,
          hashPool,
          staging,
          tickets,
          metrics,
          logger,
          arrived: arrival.arrived,
        }),
      })
      receipts = await wireReceipts(init, {
        libp2p,
        logger,
        meta,
        metaService,
        metaAddr,
        selfObservedAddr,
        ownIssuer: tickets?.issuer?.address,
      })
      sliceService = await wireSliceProtocols(init, {
        libp2p,
        room,
        hashPool,
        limits: limits.peers,
        receipts,
        tickets,
        meta,
        metrics,
        logger,
        arrived: arrival.arrived,
      })
      await handleIndexProtocol(libp2p, {
        backend: metaService ?? localIndex,
        metrics,
        streamTimeoutMs: init.streamTimeoutMs,
        limit: limits.peers.index,
      })
      registration.start()
      for (const addr of init.bootstrap ?? []) {
        libp2p
          .dial(multiaddr(addr))
          .then((connection) => metaPeers.reached(addr, connection))
          .catch((err) => logger.warn('bootstrap dial failed', { addr, error: err }))
      }
      metaPeers.warnIfUnknown()
      announcer?.start()
      tickets?.start()
      room.eviction.start()
      metaTraffic?.start()
      providerTraffic?.start()
      uploadRefunds?.start()
      logger.info('resource node started', { ...node.readyInfo() })
    },
    async stop() {
      registration.stop()
      announcer?.stop()
      await room.eviction.stop()
      await providerTraffic?.stop()
      uploadRefunds?.stop()
      await deletes?.stop()
      await replicator.stop()
      await gateway?.close()
      staging.close()
      await sliceService?.unregister().catch(() => {})
      await receipts?.stop()
      registration.detach()
      await libp2p.stop()
      await metaTraffic?.stop()
      await store.close()
      await tickets?.close()
      await hashPool.close()
      logger.info('resource node stopped')
    },
  }
  return node
}
