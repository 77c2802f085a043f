// Over 400 lines: one factory that assembles the node's parts (store, libp2p, gateway, meta service, traffic) and their lifecycle.
import { mkdir } from 'node:fs/promises'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { circuitRelayServer } from '@libp2p/circuit-relay-v2'
import { identify } from '@libp2p/identify'
import type { PeerId } from '@libp2p/interface'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { webSockets } from '@libp2p/websockets'
import { multiaddr } from '@multiformats/multiaddr'
import type { SliceHash } from '@stratos-edge/core'
import {
  createIndexClient,
  createIndexHandler,
  httpUrlToMultiaddr,
  INDEX_PROTOCOL,
  type IndexBackend,
  indexOpName,
  type PeerAddress,
  type ProviderRecord,
  registerSliceProtocols,
  type SliceRecord,
  type SliceService,
} from '@stratos-edge/protocol'
import { createLibp2p } from 'libp2p'
import { type Gateway, startGateway } from '../gateway/gateway.js'
import { createNodeRateLimits } from '../gateway/rate-limit-node.js'
import { createSliceUploadRoute } from '../gateway/slice-upload-route.js'
import { createUploadStaging } from '../gateway/upload-staging.js'
import { createUploadRefunds } from '../ledger/upload-refunds.js'
import { createLogger } from '../logger.js'
import { createManifestDeleter } from '../meta/manifest-deleter.js'
import { createMetaService } from '../meta/meta-service.js'
import { createMetaTraffic } from '../meta/meta-traffic.js'
import { registerMetaTrafficMetrics } from '../meta/meta-traffic-metrics.js'
import { openDiskSliceStore } from '../store/disk-slice-store.js'
import { createSliceHashPool } from '../store/hash-pool.js'
import { createSliceReadCache } from '../store/slice-read-cache.js'
import { createStoreWithRoom } from '../store/store-with-room.js'
import { type Announcer, createAnnouncer } from './announcer.js'
import { createGatewaySlices } from './gateway-slices.js'
import { createMetaAccess } from './meta-access.js'
import { loadOrCreateMetaKey } from './meta-key.js'
import { createNodeMetrics } from './metrics.js'
import { createNodeTickets } from './node-tickets.js'
import { loadOrCreatePeerKey } from './peer-key.js'
import { type ReceiptExchange, startReceiptExchange } from './receipt-exchange.js'
import { createReplicator, type Replicator } from './replicator.js'
import type { ResourceNode, ResourceNodeComponents, ResourceNodeInit } from './resource-node-init.js'
import { loadOrCreateNodeEvmKey } from './traffic-key.js'
import { createNodeTraffic, metaTrafficAccessOf } from './traffic-node.js'

export type {
  ReadyInfo,
  ResourceNode,
  ResourceNodeComponents,
  ResourceNodeInit,
} from './resource-node-init.js'

/** Default ports (127.0.0.1). */
export const DEFAULT_TCP_PORT = 7401
export const DEFAULT_WS_PORT = 7402
export const DEFAULT_HTTP_PORT = 7480

/**
 * Creates a resource node: durable disk slice store, libp2p (TCP for nodes, WebSockets for browsers,
 * noise, yamux, identify, ping, circuit-relay-v2 server), the slice protocols, replication to `forward`
 * targets, the HTTP gateway with Prometheus metrics, and optionally the meta service.
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
  const host = init.host ?? '127.0.0.1'
  const logger = components.logger ?? createLogger()
  // A bad public URL fails here, not in every later announcement.
  if (init.publicGatewayUrl !== undefined) httpUrlToMultiaddr(init.publicGatewayUrl)
  await mkdir(init.dataDir, { recursive: true })
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
  const tickets = init.tickets
    ? await createNodeTickets(init.tickets, { dataDir: init.dataDir, meta: Boolean(init.meta), logger })
    : undefined
  const metaTraffic =
    init.traffic && init.meta && init.tickets && tickets?.store
      ? await createMetaTraffic(
          {
            ...init.traffic,
            network: init.tickets.network,
            freeOzone: init.tickets.freeOzone ?? 0n,
            // This node's own gateway self-reports are taken, besides the ones listed.
            ...(init.providerTraffic
              ? {
                  selfReporters: [
                    ...(init.traffic.selfReporters ?? []),
                    (await loadOrCreateNodeEvmKey(init.dataDir)).evmAddress,
                  ],
                }
              : {}),
          },
          {
            dataDir: init.dataDir,
            key: await loadOrCreateMetaKey(init.dataDir),
            ledger: tickets.store,
            manifest: async (fileHash, owner): Promise<Uint8Array | undefined> =>
              owner === undefined
                ? metaService?.resolveManifest(fileHash)
                : store.getManifest(fileHash, owner),
            logger,
          },
        )
      : undefined
  const deleter = createManifestDeleter(
    { network: init.tickets?.network },
    {
      manifests: store,
      // Kept until evicted: no manifest names them now, so no owner's ozone keeps them.
      released: (fileHash, hashes) => logger.info('slices released', { fileHash, slices: hashes.length }),
    },
  )
  // The meta node gives back what upload tickets reserved and their files did not use.
  const uploadRefunds =
    init.meta && tickets?.store ? createUploadRefunds({}, { store: tickets.store, logger }) : undefined
  const metaService = init.meta
    ? createMetaService({
        manifests: store,
        deleter,
        logger,
        ...(tickets?.issuer ? { tickets: tickets.issuer } : {}),
        ...(tickets ? { ticketGate: tickets.gate, closedRegistry: true } : {}),
        ...(init.resourcePeers ? { resourcePeers: init.resourcePeers } : {}),
        ...(metaTraffic ? { traffic: metaTraffic } : {}),
        ...(uploadRefunds ? { onUploadCommitted: uploadRefunds.committed } : {}),
      })
    : undefined
  const ip = host.includes(':') ? 'ip6' : 'ip4'

  const libp2p = await createLibp2p({
    privateKey,
    start: false,
    addresses: {
      listen: [
        `/${ip}/${host}/tcp/${init.tcpPort ?? DEFAULT_TCP_PORT}`,
        `/${ip}/${host}/tcp/${init.wsPort ?? DEFAULT_WS_PORT}/ws`,
      ],
      ...(init.announce ? { appendAnnounce: init.announce } : {}),
    },
    transports: [tcp(), webSockets()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    // Many browsers share one address (NAT, one test namespace): libp2p's defaults (5 new connections
    // per second per host, 10 pending upgrades) would refuse them.
    connectionManager: {
      maxConnections: 4096,
      inboundConnectionThreshold: 200,
      maxIncomingPendingConnections: 256,
    },
    services: {
      identify: identify(),
      ping: ping(),
      relay: circuitRelayServer({
        reservations: {
          maxReservations: init.maxRelayReservations ?? 1024,
          reservationTtl: 2 * 60 * 60 * 1000,
        },
        maxInboundHopStreams: 4096,
        maxOutboundStopStreams: 4096,
      }),
    },
  })

  const metrics = createNodeMetrics({
    storeUsedBytes: () => store.usedBytes,
    storeMaxBytes: () => store.maxBytes,
    storeSlices: () => store.sliceCount,
    connections: () => libp2p.getConnections().length,
    ...(metaService ? { metaPeers: () => metaService.stats() } : {}),
  })
  if (metaTraffic) registerMetaTrafficMetrics(metrics.registry, metaTraffic)
  const replicator: Replicator = createReplicator({ libp2p, store, logger, metrics })
  const metaAddr = !init.meta && init.bootstrap?.[0] ? multiaddr(init.bootstrap[0]) : undefined
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

  const selfAnnouncement = (hashes: SliceHash[], replace: boolean) => ({
    kind: 'resource' as const,
    multiaddrs: selfAddresses(),
    freeBytes: Math.max(0, store.maxBytes - store.usedBytes),
    replace,
    hashes,
  })
  const selfObservedAddr = `/${ip}/${host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host}/tcp/0`

  const onStored = (hash: SliceHash): void => {
    metaService?.registerLocal(libp2p.peerId.toString(), selfAnnouncement([hash], false), selfObservedAddr)
    announcer?.added(hash)
  }
  onRemoved = (hash) => {
    metaService?.withdraw([hash], { peer: libp2p.peerId, remoteAddr: selfObservedAddr })
    announcer?.removed(hash)
  }
  /** The in-process meta service hears from this node like from any other: a full refresh every 30 s. */
  const registerSelf = (): void =>
    metaService?.registerLocal(
      libp2p.peerId.toString(),
      selfAnnouncement(
        store.list().map((s) => s.hash),
        true,
      ),
      selfObservedAddr,
    )
  let selfTimer: ReturnType<typeof setInterval> | undefined

  /**
   * Index answers when this node does not run the meta service: lookups of what it holds itself, and
   * manifests: a bare file hash as the meta service resolves it (asked, and kept 30 s), an owner's from
   * the store or the meta service.
   */
  const localIndex: IndexBackend = {
    lookup: async (hashes) => {
      const self: ProviderRecord = {
        peerId: libp2p.peerId.toString(),
        kind: 'resource',
        multiaddrs: selfAddresses(),
      }
      const out = new Map<SliceHash, ProviderRecord[]>()
      for (const h of hashes) out.set(h, (await store.has(h)) ? [self] : [])
      return out
    },
    getManifest: (fileHash, _context, owner) => meta.getManifestBytes(fileHash, owner),
    manifestOwners: (fileHash) => store.manifestOwners(fileHash),
    deleteManifest: async (request) => (await deleter.deleteManifest(request)).dropped,
  }

  const meta = createMetaAccess({ libp2p, store, logger, metaService, metaAddr, selfObservedAddr })
  const slices = createGatewaySlices({ libp2p, store, readCache, meta, logger })
  const providerTraffic = init.providerTraffic
    ? await createNodeTraffic(init.providerTraffic, {
        dataDir: init.dataDir,
        logger,
        metrics,
        meta: metaTrafficAccessOf({ libp2p, metaService, metaAddr, selfObservedAddr }),
      })
    : undefined

  const limits = createNodeRateLimits(init, { metrics, meta })
  const room = createStoreWithRoom(init, { store, metrics, logger, libp2p, metaAddr })

  /** Forward lists being checked against the registry (replicationIdle waits for them). */
  const resolving = new Set<Promise<void>>()

  /** A new slice arrived (libp2p push or HTTP upload) and is durably stored: count, announce, copy on. */
  const sliceArrived = (slice: SliceRecord, forward: PeerAddress[]): void => {
    metrics.slicesStored.inc()
    metrics.bytesReceived.inc(slice.data.length)
    onStored(slice.hash)
    if (forward.length === 0) return
    const p = meta
      .forwardTargets(forward)
      .then((targets) => {
        const refused = forward.length - targets.length
        if (refused > 0)
          logger.debug('forward targets not registered, skipped', { hash: slice.hash, refused })
        if (targets.length > 0) replicator.replicate(slice.hash, targets)
      })
      .catch((error: unknown) => logger.warn('forwarding failed', { hash: slice.hash, error }))
      .finally(() => resolving.delete(p))
    resolving.add(p)
  }

  const onPeerDisconnect = (evt: CustomEvent<PeerId>): void =>
    metaService?.peerDisconnected(evt.detail.toString())

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
    async replicationIdle() {
      while (resolving.size > 0) await Promise.all([...resolving])
      await replicator.idle()
    },
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
      gateway = await startGateway({
        host,
        port: init.httpPort ?? DEFAULT_HTTP_PORT,
        metrics,
        logger,
        getManifest: meta.getManifest,
        readSlice: slices.readSlice,
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
        sliceUpload: createSliceUploadRoute({
          target: {
            peerId: libp2p.peerId.toString(),
            has: (hash) => store.has(hash as SliceHash),
            freeBytes: () => Math.max(0, store.maxBytes - store.usedBytes),
            put: async (slice, forward, options) => {
              if (await room.put(slice, options)) sliceArrived(slice, forward)
            },
            makeRoom: room.makeRoom,
            digest: hashPool.digestMoving,
          },
          staging,
          metrics,
          logger,
          ...(tickets ? { tickets: tickets.gate } : {}),
          ...(init.maxUploadBufferBytes !== undefined ? { maxBufferedBytes: init.maxUploadBufferBytes } : {}),
          ...(init.maxUploadBufferBytesPerClient !== undefined
            ? { maxBufferedBytesPerClient: init.maxUploadBufferBytesPerClient }
            : {}),
          ...(init.minUploadBytesPerSecond !== undefined
            ? { minBytesPerSecond: init.minUploadBytesPerSecond }
            : {}),
          idleTimeoutMs: init.streamTimeoutMs ?? 30_000,
          trustProxy: init.trustProxy ?? false,
        }),
      })
      // With a network id, browsers that read from this node pay it with receipts like any provider.
      const self = { peer: libp2p.peerId, remoteAddr: selfObservedAddr }
      receipts = init.tickets
        ? await startReceiptExchange(
            {
              network: init.tickets.network,
              dataDir: init.dataDir,
              issuers: tickets?.issuer
                ? [...(init.tickets.issuers ?? []), tickets.issuer.address]
                : (init.tickets.issuers ?? []),
            },
            {
              libp2p,
              logger,
              submit: (batch) =>
                metaService
                  ? Promise.resolve(
                      metaService.submitReceipts(batch, {
                        peer: libp2p.peerId,
                        remoteAddr: selfObservedAddr,
                      }),
                    )
                  : createIndexClient(libp2p, metaAddr ?? libp2p.peerId).submitReceipts(batch, {
                      timeout: 10_000,
                    }),
              // The meta service answers the clock only when it settles traffic.
              settlesTraffic: async () => {
                if (metaService) await metaService.trafficStatus(undefined, self)
                else
                  await createIndexClient(libp2p, metaAddr ?? libp2p.peerId).trafficStatus(undefined, {
                    timeout: 10_000,
                  })
                return true
              },
              exempt: async (peer) =>
                (await meta.forwardTargets([{ peerId: peer.toString(), multiaddrs: [] }])).length > 0,
            },
          )
        : undefined
      const paid = receipts
      sliceService = await registerSliceProtocols(libp2p, {
        store: room.sliceStore,
        hashSlice: hashPool.hashSlice,
        admitFetch: limits.peers.fetch,
        ...(paid ? { admitReceipts: paid.admitFetch } : {}),
        ...(tickets
          ? {
              admitPush: async (header, from) => {
                await limits.peers.push(header, from)
                const use = { bytes: header.size, fileHash: header.fileHash }
                if (header.ticket) return void tickets.gate.admit(header.ticket, use)
                // A registered resource node copying on a slice that was paid for where it came in.
                const peer = [{ peerId: from.toString(), multiaddrs: [] }]
                if ((await meta.forwardTargets(peer)).length > 0) return
                tickets.gate.admit(undefined, use) // throws TicketRequiredError
              },
            }
          : { admitPush: limits.peers.push }),
        timeout: init.streamTimeoutMs ?? 30_000,
        // A slice held already was counted and copied on when it first arrived.
        onSliceStored: (slice, { forward, isNew }) => {
          if (isNew) sliceArrived(slice, forward)
        },
        onSliceServed: ({ bytes, peer }) => {
          paid?.served(peer, bytes)
          metrics.slicesServed.inc()
          metrics.bytesServed.inc(bytes)
        },
        onStreamError: (error, { protocol, peer }) => {
          metrics.streamErrors.inc({ protocol, error: error.name })
          logger.warn('stream closed with error', { protocol, peer: peer.toString(), error })
        },
      })
      await libp2p.handle(
        INDEX_PROTOCOL,
        createIndexHandler({
          backend: metaService ?? localIndex,
          timeout: Math.min(init.streamTimeoutMs ?? 15_000, 15_000),
          onStreamError: (error) => metrics.streamErrors.inc({ protocol: INDEX_PROTOCOL, error: error.name }),
          onRequest: (op) => metrics.indexRequests.inc({ op: indexOpName(op) }),
        }),
        // Outbound too: a node without --meta asks the meta service over this protocol for every request.
        { maxInboundStreams: 1024, maxOutboundStreams: 1024, runOnLimitedConnection: true },
      )
      if (metaService) {
        registerSelf()
        selfTimer = setInterval(registerSelf, 30_000)
        libp2p.addEventListener('peer:disconnect', onPeerDisconnect)
      }
      for (const addr of init.bootstrap ?? []) {
        libp2p
          .dial(multiaddr(addr))
          .catch((err) => logger.warn('bootstrap dial failed', { addr, error: err }))
      }
      announcer?.start()
      tickets?.start()
      room.eviction.start()
      metaTraffic?.start()
      providerTraffic?.start()
      uploadRefunds?.start()
      logger.info('resource node started', { ...node.readyInfo() })
    },
    async stop() {
      clearInterval(selfTimer)
      announcer?.stop()
      await room.eviction.stop()
      await providerTraffic?.stop()
      uploadRefunds?.stop()
      await replicator.stop()
      await gateway?.close()
      staging.close()
      await sliceService?.unregister().catch(() => {})
      await receipts?.stop()
      libp2p.removeEventListener('peer:disconnect', onPeerDisconnect)
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
