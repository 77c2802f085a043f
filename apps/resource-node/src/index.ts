/**
 * @packageDocumentation
 * `@stratos-edge/resource-node`: the Stratos Edge resource node for Node 22, as a library and as the
 * `stratos-edge-node` CLI. It keeps slices durably on disk (verified before they are acknowledged,
 * atomic writes, consistent after `kill -9`, a disk budget), listens on libp2p TCP (node to node) and
 * WebSockets (browsers) with noise, yamux, identify, ping and a circuit-relay-v2 server, speaks the
 * `@stratos-edge/protocol` slice and index protocols, replicates pushed slices to their `forward`
 * targets, serves files over HTTP (`/v1/files/<file hash>`, `sdm://` form, Range), `/healthz` and
 * Prometheus `/metrics`, and optionally runs the meta service (provider index, placement, manifests).
 *
 * @example
 * ```ts
 * import { createResourceNode } from '@stratos-edge/resource-node'
 *
 * const node = await createResourceNode({ dataDir: '.data/rn1', meta: true, tcpPort: 0, wsPort: 0, httpPort: 0 })
 * await node.start()
 * console.log(node.readyInfo()) // { peerId, multiaddrs, wsMultiaddrs, gatewayUrl, ... }
 * await node.stop()
 * ```
 */

export { runCli } from './cli/cli.js'
export {
  RESOURCE_NODE_BIN,
  type SpawnedResourceNode,
  type SpawnResourceNodeInit,
  spawnResourceNode,
} from './cli/spawn-resource-node.js'
export { type Gateway, type GatewayInit, startGateway } from './gateway/gateway.js'
export { type ParsedRange, parseRange } from './gateway/range.js'
export {
  createTicketGate,
  type TicketAdmission,
  type TicketGate,
  type TicketGateInit,
  type TicketUse,
} from './gateway/ticket-gate.js'
export { createLogger, type Logger, type LoggerInit, type LogLevel } from './logger.js'
export { createMetaService, type MetaService, type MetaServiceInit } from './meta/meta-service.js'
export { ipOf, networkDistance } from './meta/network-distance.js'
export {
  createTicketIssuer,
  type TicketIssuer,
  type TicketIssuerComponents,
  type TicketIssuerInit,
} from './meta/ticket-issuer.js'
export { type Announcer, type AnnouncerInit, createAnnouncer } from './node/announcer.js'
export { loadOrCreateMetaKey, META_KEY_FILE } from './node/meta-key.js'
export { createNodeMetrics, type MetricsSources, type NodeMetrics } from './node/metrics.js'
export {
  createNodeTickets,
  type NodeTickets,
  type PaymentsInit,
  type TicketsInit,
} from './node/node-tickets.js'
export { loadOrCreatePeerKey } from './node/peer-key.js'
export { createReplicator, type Replicator, type ReplicatorInit } from './node/replicator.js'
export {
  createResourceNode,
  DEFAULT_HTTP_PORT,
  DEFAULT_TCP_PORT,
  DEFAULT_WS_PORT,
  type ReadyInfo,
  type ResourceNode,
  type ResourceNodeComponents,
  type ResourceNodeInit,
} from './node/resource-node.js'
export { syncDir, writeFileAtomic } from './store/atomic-file.js'
export {
  type DiskSlicePutOptions,
  type DiskSliceStore,
  type DiskSliceStoreInit,
  openDiskSliceStore,
  type StagedSliceFile,
  StoreClosedError,
  type VerifyReport,
} from './store/disk-slice-store.js'
export { createSliceHashPool, HashPoolError, type SliceHashPool } from './store/hash-pool.js'
