import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client'
import type { NodeTrafficStatus, NodeTrafficStatusSource } from './traffic-status.js'

/** The node's Prometheus metrics, on their own registry (not prom-client's global one). */
export interface NodeMetrics {
  registry: Registry
  slicesStored: Counter
  bytesReceived: Counter
  slicesServed: Counter
  bytesServed: Counter
  streamErrors: Counter<'protocol' | 'error'>
  replications: Counter<'result'>
  gatewayRequests: Counter<'status'>
  gatewayBytes: Counter
  /** Gateway readers dropped because they stopped reading for the write timeout. */
  gatewayStalledReaders: Counter
  /** Uploads refused or dropped by the upload budget: `wait` (waited too long), `slow` (body too slow). */
  uploadsDropped: Counter<'reason'>
  /** Slice body bytes that reached the HTTP upload route: stored, staged, or drained as already held. */
  uploadBodyBytes: Counter
  indexRequests: Counter<'op'>
  /** Requests refused by a rate limit, by `path`: http-read, http-write, p2p-fetch, p2p-push, p2p-index. */
  rateLimited: Counter<'path'>
  /** Unpaid slices evicted, by `reason`: `grace` (no paid manifest in time) or `room` (the store was full). */
  slicesEvicted: Counter<'reason'>
}

/** Gauges read on each scrape. */
export interface MetricsSources {
  storeUsedBytes(): number
  storeMaxBytes(): number
  storeSlices(): number
  connections(): number
  metaPeers?(): { light: number; resource: number; slices: number }
}

/**
 * Creates the metrics (prefix `stratos_edge_`) plus Node's default process metrics.
 *
 * @example
 * ```ts
 * const metrics = createNodeMetrics(sources)
 * const text = await metrics.registry.metrics()
 * ```
 */
export function createNodeMetrics(sources: MetricsSources): NodeMetrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'stratos_edge_' })
  const reg = { registers: [registry] }
  new Gauge({
    name: 'stratos_edge_store_used_bytes',
    help: 'Bytes of slice files on disk',
    ...reg,
    collect() {
      this.set(sources.storeUsedBytes())
    },
  })
  new Gauge({
    name: 'stratos_edge_store_capacity_bytes',
    help: 'Disk budget for slices',
    ...reg,
    collect() {
      this.set(sources.storeMaxBytes())
    },
  })
  new Gauge({
    name: 'stratos_edge_store_slices',
    help: 'Slices held',
    ...reg,
    collect() {
      this.set(sources.storeSlices())
    },
  })
  new Gauge({
    name: 'stratos_edge_libp2p_connections',
    help: 'Open libp2p connections',
    ...reg,
    collect() {
      this.set(sources.connections())
    },
  })
  if (sources.metaPeers) {
    const metaPeers = sources.metaPeers
    new Gauge({
      name: 'stratos_edge_meta_peers',
      help: 'Peers known to the meta service, by kind',
      labelNames: ['kind'],
      ...reg,
      collect() {
        const s = metaPeers()
        this.set({ kind: 'light' }, s.light)
        this.set({ kind: 'resource' }, s.resource)
      },
    })
    new Gauge({
      name: 'stratos_edge_meta_indexed_slices',
      help: 'Distinct slices in the provider index',
      ...reg,
      collect() {
        this.set(metaPeers().slices)
      },
    })
  }
  return {
    registry,
    slicesStored: new Counter({
      name: 'stratos_edge_slices_stored_total',
      help: 'Slices received and stored',
      ...reg,
    }),
    bytesReceived: new Counter({
      name: 'stratos_edge_slice_bytes_received_total',
      help: 'Slice bytes stored',
      ...reg,
    }),
    slicesServed: new Counter({
      name: 'stratos_edge_slices_served_total',
      help: 'Slices served over libp2p',
      ...reg,
    }),
    bytesServed: new Counter({
      name: 'stratos_edge_slice_bytes_served_total',
      help: 'Slice bytes served over libp2p',
      ...reg,
    }),
    streamErrors: new Counter({
      name: 'stratos_edge_stream_errors_total',
      help: 'Streams closed because of an error, by protocol and error name',
      labelNames: ['protocol', 'error'] as const,
      ...reg,
    }),
    replications: new Counter({
      name: 'stratos_edge_replications_total',
      help: 'Slices replicated to other resource nodes, by result',
      labelNames: ['result'] as const,
      ...reg,
    }),
    gatewayRequests: new Counter({
      name: 'stratos_edge_gateway_requests_total',
      help: 'HTTP gateway requests by status',
      labelNames: ['status'] as const,
      ...reg,
    }),
    gatewayBytes: new Counter({
      name: 'stratos_edge_gateway_bytes_total',
      help: 'File bytes sent by the gateway',
      ...reg,
    }),
    gatewayStalledReaders: new Counter({
      name: 'stratos_edge_gateway_stalled_readers_total',
      help: 'Gateway readers dropped because they read nothing for the write timeout',
      ...reg,
    }),
    uploadsDropped: new Counter({
      name: 'stratos_edge_uploads_dropped_total',
      help: 'Uploads refused or dropped by the upload budget (wait: waited too long; slow: body too slow)',
      labelNames: ['reason'] as const,
      ...reg,
    }),
    rateLimited: new Counter({
      name: 'stratos_edge_rate_limited_total',
      help: 'Requests refused by a per-client rate limit (path: http-read, http-write, p2p-fetch, p2p-push, p2p-index)',
      labelNames: ['path'] as const,
      ...reg,
    }),
    slicesEvicted: new Counter({
      name: 'stratos_edge_slices_evicted_total',
      help: 'Unpaid slices evicted (grace: no paid manifest within the grace period; room: the store was full)',
      labelNames: ['reason'] as const,
      ...reg,
    }),
    uploadBodyBytes: new Counter({
      name: 'stratos_edge_upload_body_bytes_total',
      help: 'Slice body bytes received by the HTTP upload route (stored, staged, or drained as already held)',
      ...reg,
    }),
    indexRequests: new Counter({
      name: 'stratos_edge_index_requests_total',
      help: 'Index protocol requests received, by type (lookup, announce, manifest_owners...)',
      labelNames: ['op'] as const,
      ...reg,
    }),
  }
}

/**
 * Adds the node's Proof of Traffic gauges to its registry, read from `source` on each scrape:
 * `stratos_edge_traffic_bytes_served{epoch, via="libp2p"|"gateway"}` (libp2p: bytes its receipts
 * attest; gateway: self-reported), `stratos_edge_traffic_receipts_held{epoch}`,
 * `stratos_edge_traffic_receipts_held_total`, and `stratos_edge_traffic_reward_wei{state}` (pending,
 * claimable, claimed; a float, exact up to 2^53 wei).
 *
 * @example
 * ```ts
 * registerTrafficMetrics(metrics, createNodeTrafficStatus({ account, served }))
 * ```
 */
export function registerTrafficMetrics(metrics: NodeMetrics, source: NodeTrafficStatusSource): void {
  const reg = { registers: [metrics.registry] }
  // One status per scrape, shared by the gauges.
  let cached: { at: number; status: Promise<NodeTrafficStatus> } | undefined
  const status = (): Promise<NodeTrafficStatus> => {
    if (!cached || Date.now() - cached.at > 500) cached = { at: Date.now(), status: source.status() }
    return cached.status
  }
  new Gauge({
    name: 'stratos_edge_traffic_bytes_served',
    help: 'Bytes this node served per epoch: libp2p (attested by receipts held) or gateway (self-reported)',
    labelNames: ['epoch', 'via'] as const,
    ...reg,
    async collect() {
      const s = await status()
      this.reset()
      for (const e of s.epochs) {
        this.set({ epoch: String(e.epoch), via: 'libp2p' }, Number(e.libp2pBytes))
        this.set({ epoch: String(e.epoch), via: 'gateway' }, Number(e.gatewayBytes))
      }
    },
  })
  new Gauge({
    name: 'stratos_edge_traffic_receipts_held',
    help: 'Receipts held for libp2p traffic, per epoch',
    labelNames: ['epoch'] as const,
    ...reg,
    async collect() {
      const s = await status()
      this.reset()
      for (const e of s.epochs) this.set({ epoch: String(e.epoch) }, e.receipts)
    },
  })
  new Gauge({
    name: 'stratos_edge_traffic_receipts_held_total',
    help: 'Receipts held for libp2p traffic, all epochs',
    ...reg,
    async collect() {
      this.set((await status()).receiptsHeld)
    },
  })
  new Gauge({
    name: 'stratos_edge_traffic_reward_wei',
    help: 'Traffic rewards of this node in STOS wei: pending (settled, root not posted), claimable, claimed',
    labelNames: ['state'] as const,
    ...reg,
    async collect() {
      const s = await status()
      this.set({ state: 'pending' }, Number(s.pending))
      this.set({ state: 'claimable' }, Number(s.claimable))
      this.set({ state: 'claimed' }, Number(s.claimed))
    },
  })
}
