import type { Libp2p, PeerId, PrivateKey } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { NodeRateLimits } from '../gateway/rate-limit-gateway.js'
import type { Logger } from '../logger.js'
import type { MetaService } from '../meta/meta-service.js'
import type { MetaTraffic, MetaTrafficInit } from '../meta/meta-traffic.js'
import type { DiskSliceStore } from '../store/disk-slice-store.js'
import type { NodeMetrics } from './metrics.js'
import type { TicketsInit } from './node-tickets.js'
import type { NodeTrafficInit } from './traffic-node.js'

/** Options of `createResourceNode`. */
export interface ResourceNodeInit {
  /** Directory for the peer key, slices and manifests (created if missing). */
  dataDir: string
  /** Listen address for libp2p and HTTP (default 127.0.0.1; use 0.0.0.0 inside a test namespace). */
  host?: string
  /** libp2p TCP port, node to node (default 7401; 0 picks a free port). */
  tcpPort?: number
  /** libp2p WebSockets port, for browsers (default 7402; 0 picks a free port). */
  wsPort?: number
  /** HTTP gateway port (default 7480; 0 picks a free port). */
  httpPort?: number
  /** Run the meta service in this process (index, placement, manifests). */
  meta?: boolean
  /** Peers to dial at start; without `meta`, the first one is the meta service to announce to. */
  bootstrap?: string[]
  /** Disk budget for slices, bytes (default 10 GiB). */
  maxBytes?: number
  /** Relay reservations for browsers (default 1024). */
  maxRelayReservations?: number
  /** Extra multiaddrs to advertise (e.g. a public address). */
  announce?: string[]
  /** A protocol stream idle this long is closed with ProtocolTimeoutError, ms (default 30 000). */
  streamTimeoutMs?: number
  /**
   * The gateway's public base URL (e.g. `https://node.example`, behind a TLS proxy), announced so browsers
   * know where to upload; default the address the gateway listens on.
   */
  publicGatewayUrl?: string
  /**
   * Memory for slices uploaded before their hashes are known (staged uploads), bytes (default 256 MiB);
   * their bytes are also written ahead to temp files in the store, bounded by the same budget.
   */
  maxStagedBytes?: number
  /** Memory for upload bodies being received at once, bytes (default 256 MiB); more uploads wait. */
  maxUploadBufferBytes?: number
  /** Upload memory one client (remote address) holds at once, bytes (default a quarter of the buffer). */
  maxUploadBufferBytesPerClient?: number
  /**
   * Slowest upload body rate accepted, bytes/s, after a stream-timeout grace, checked as bytes arrive
   * (default 16 KiB/s).
   */
  minUploadBytesPerSecond?: number
  /**
   * The gateway is behind a reverse proxy (TLS) that appends the client's address to X-Forwarded-For:
   * upload shares are counted by that address, not the proxy's (default false).
   */
  trustProxy?: boolean
  /** A gateway reader that takes no bytes for this long is dropped, ms (default 120 000). */
  writeTimeoutMs?: number
  /** Memory for slice data the gateway's readers share, bytes (default 64 MiB). */
  readCacheBytes?: number
  /**
   * With `meta`: the peer ids of the resource nodes the meta service's registry lists (besides this
   * node); only they are placed on and forwarded to. Without it, any peer announcing itself a resource
   * node is listed (development).
   */
  resourcePeers?: string[]
  /**
   * Upload tickets: with it, every write (HTTP upload, staging, commit, manifest put) needs a ticket from
   * a trusted meta service; with `meta`, this node also issues them against its ozone ledger.
   */
  tickets?: TicketsInit
  /**
   * Per-client rate limits (token buckets for requests and bytes): over HTTP by address (IPv6 by /64),
   * over libp2p by peer id; reads and writes apart. A client over them gets 429 with Retry-After, or a
   * `RateLimitedError` wire error. Default `DEFAULT_RATE_LIMITS`; `false`: none.
   */
  rateLimits?: NodeRateLimits | false
  /**
   * Slices that no stored manifest lists (abandoned uploads, slices whose manifest never came) are evicted
   * this long after they arrived, ms (default 1 hour; 0: never); when the disk budget is full, the oldest
   * of them go first, before an upload is refused. Slices a stored manifest lists are never evicted.
   */
  unpaidGraceMs?: number
  /** Unpaid slices younger than this are not evicted to make room, ms (default 60 000, at most the grace). */
  unpaidMinAgeForRoomMs?: number
  /**
   * With `meta` and `tickets`: Proof of Traffic in the meta service (download tickets, receipts, epoch
   * settlement, reward roots). The network id and free tier are the tickets'.
   */
  traffic?: Omit<MetaTrafficInit, 'network' | 'freeOzone'>
  /**
   * Proof of Traffic for this node as a provider: its EVM key (`<dataDir>/traffic.key`), the gateway's
   * self-reports, `/v1/status/traffic`, traffic metrics and, with `claimRewards`, its reward claims.
   * Needs a meta service that settles traffic (this one with `meta` and `traffic`, or the bootstrap's).
   */
  providerTraffic?: NodeTrafficInit
}

/** Injectable edges of a resource node. */
export interface ResourceNodeComponents {
  logger: Logger
  /** The libp2p key; default: loaded from (or created in) `<dataDir>/peer.key`. */
  privateKey: PrivateKey
}

/** What the CLI prints when the node is ready (one JSON line). */
export interface ReadyInfo {
  event: 'ready'
  peerId: string
  multiaddrs: string[]
  /** The WebSocket multiaddrs browsers dial. */
  wsMultiaddrs: string[]
  gatewayUrl: string
  meta: boolean
  dataDir: string
  /** With tickets and `meta`: the address this meta service signs tickets with (give it to other nodes). */
  ticketIssuer?: string
  /** With `traffic`: the node's EVM address (receipts name it; fund it with gas to claim). */
  trafficAccount?: string
}

/** A running (or startable) resource node. */
export interface ResourceNode {
  start(): Promise<void>
  stop(): Promise<void>
  readonly peerId: PeerId
  readonly multiaddrs: Multiaddr[]
  readonly gatewayUrl: string
  readonly libp2p: Libp2p
  readonly store: DiskSliceStore
  readonly metrics: NodeMetrics
  /** The in-process meta service, when started with `meta: true`. */
  readonly metaService: MetaService | undefined
  /** The meta service's Proof of Traffic, when started with `traffic`. */
  readonly metaTraffic: MetaTraffic | undefined
  /** Waits until queued replications are done (tests, graceful shutdown). */
  replicationIdle(): Promise<void>
  readyInfo(): ReadyInfo
}
