/** Types shared by the page-side client and the worker-side node. */
import type { Eip1193Provider, TypedDataSigner } from '@stratos-edge/core'
import type { SliceStoreStat } from './store/idb-slice-store.js'

/** Options of `createLightNode`. */
export interface LightNodeOptions {
  /** Multiaddrs of resource nodes (WebSockets, with `/p2p/<id>`): relay, meta service and fallback providers. */
  resourceNodes: string[]
  /**
   * The worker to run the node in. Default: `new Worker(new URL('./worker/worker-entry.js', import.meta.url),
   * { type: 'module' })`, which Vite and other bundlers turn into a worker chunk.
   */
  worker?: Worker | (() => Worker)
  /** IndexedDB database name; default `stratos-edge-slices`. Two nodes in one origin need two names. */
  storeName?: string
  /** Byte budget of the slice store; default 2 GiB (raised by `contribute`). */
  budgetBytes?: number
  /** ICE servers; default none (host candidates only). Never a public STUN server by default. */
  iceServers?: RTCIceServer[]
  /** Slice size for uploads; default core's DEFAULT_SLICE_SIZE (4 MiB). */
  sliceSize?: number
  /**
   * Resource nodes that keep each upload; default 2. The browser sends each slice once, to the first;
   * that node copies it on to the others.
   */
  replicas?: number
  /** Slices fetched at once during a download; default 4. */
  parallelism?: number
  /** Time allowed to connect to a resource node and reserve a relay slot; default 10 s. */
  readyTimeoutMs?: number
  /**
   * How data channels reach the worker: `transfer` (default) moves each RTCDataChannel, falling back to a
   * MessagePort bridge where the browser cannot; `port` always bridges (tests of the fallback).
   */
  channelTransfer?: 'transfer' | 'port'
  /**
   * Base URL of the HTTP gateway of this node's home resource node (the one it connects to). Uploads
   * send their first slices there while the file is still being hashed (staged, committed once the hashes
   * are known), and it is the base of `gatewayUrl` in upload results when a replica announces none.
   */
  gatewayUrl?: string
  /**
   * The network id (the chain id signed into upload tickets, e.g. 137; 31337 on a local anvil). When set,
   * every upload first asks the meta service for a ticket signed by its owner, before any byte is sent;
   * every download asks for a download ticket (signed by the node key) and signs traffic receipts for
   * its providers; as a provider the node holds its downloaders' receipts and submits them.
   */
  network?: number
  /**
   * With `network`: bytes this node serves a downloader beyond its signed receipts before it refuses
   * it (`ReceiptsOverdueError`, which the downloader answers with a receipt); default 32 MiB.
   */
  receiptGraceBytes?: number
  /**
   * With `network`: `false` turns Proof of Traffic off for this node (no download tickets, no receipts
   * signed, none asked for as a provider), e.g. to measure what it costs. Default true.
   */
  receipts?: boolean
  /**
   * A JSON-RPC URL of the Polygon chain `TrafficRewards` lives on: `traffic()` then reports the node
   * key's STOS balance, and `claim()` without a signer sends the claims from the node key (which pays
   * the gas).
   */
  polygonRpc?: string
  /** Fault injection for tests: serve every slice with one byte flipped. */
  faults?: { corruptServedSlices?: boolean }
}

/**
 * Who owns an upload: an EIP-1193 provider (`window.ethereum`, signing with its first account) or any
 * `{ address, signTypedData }` (core's `eip1193Signer` or `privateKeySigner`, a wallet library's signer).
 */
export type PutSigner = Eip1193Provider | TypedDataSigner

/** Options of `put`. */
export interface PutOptions {
  /**
   * The wallet that owns the file: it signs the manifest's EIP-712 data, asked from the worker across
   * comlink (no private key crosses), and the file appears under `sdm://<its st1 address>/<file hash>`.
   * Default: a key the node generates and keeps.
   */
  signer?: PutSigner
  name?: string
  mimeType?: string
  onProgress?: (progress: PutProgress) => void
  signal?: AbortSignal
}

/**
 * What of {@link PutOptions} is sent to the worker as data; the signer crosses as a comlink callback, the
 * progress listener as another, the signal as an abort call.
 */
export type PutRequest = Pick<PutOptions, 'name' | 'mimeType'>

/** Progress of an upload. */
export interface PutProgress {
  readonly phase: 'hashing' | 'storing' | 'pushing' | 'done'
  readonly bytes: number
  readonly totalBytes: number
  /**
   * The file's slice count, once it is hashed (with `heldSlices`, `heldBytes` and `sentBytes`; not for a
   * Uint8Array put).
   */
  readonly slices?: number
  /** Slices the resource node held already (an earlier upload cut short): not sent again. */
  readonly heldSlices?: number
  /** The bytes of those slices. */
  readonly heldBytes?: number
  /** Bytes of the other slices sent so far (of `totalBytes - heldBytes`). */
  readonly sentBytes?: number
}

/** Result of `put`. */
export interface PutResult {
  readonly fileHash: string
  readonly uri: string
  readonly owner: string
  readonly size: number
  readonly slices: number
  /** HTTP gateway URL of the file on the first replica, when the resource node has a gateway. */
  readonly gatewayUrl?: string
  /** Peer ids of the resource nodes that acknowledged every slice. */
  readonly replicas: string[]
  /** Peer ids of the resource nodes the first replica copies every slice on to (not yet confirmed). */
  readonly forwardedTo: string[]
}

/** A file this node owns (its upload, by its key or a page wallet), as `files()` lists it. */
export interface OwnedFile {
  readonly fileHash: string
  /** From the manifest; the file hash when the upload named none. */
  readonly name: string
  readonly mimeType: string
  readonly size: number
  /** The owner's address (`0x…`): the node's key or the wallet that signed the manifest. */
  readonly owner: string
  /** `sdm://<owner st1>/<file hash>`. */
  readonly uri: string
  /** On the home resource node's gateway, when the node knows one (`gatewayUrl` option). */
  readonly gatewayUrl?: string
  /** When the manifest was made (Unix ms). */
  readonly createdAt: number
}

/** Options of `withdraw`. */
export interface WithdrawOptions {
  /**
   * The wallet that owns the file (it signs the delete, asked from the worker like `put`'s). Default: the
   * node's own key, which owns uploads made without a signer.
   */
  signer?: PutSigner
}

/** Result of `withdraw`. */
export interface WithdrawResult {
  readonly fileHash: string
  readonly owner: string
  /** Peer ids of the meta service and resource nodes that dropped the owner's manifest. */
  readonly deletedFrom: string[]
}

/** Progress of a download, reported with each slice as it arrives (event `download:progress`). */
export interface DownloadProgress {
  /** The reference passed to `get`. */
  readonly ref: string
  readonly fileHash: string
  /** Bytes obtained so far (fetched or read from this node's store). */
  readonly bytes: number
  readonly totalBytes: number
  /** The file's name and MIME type as its manifest gives them (to save it under the right name). */
  readonly name?: string
  readonly mimeType?: string
  /** Average since the download started. */
  readonly bytesPerSecond: number
  /** Where the last slice came from: this node's store, a browser over WebRTC, or a resource node. */
  readonly source: 'local' | 'light' | 'resource'
  /** The provider of the last slice (none for `local`). */
  readonly peerId?: string
}

/** Options of `get`. */
export interface GetOptions {
  signal?: AbortSignal
  /** Progress of this download only (the `download:progress` event reports every download of the node). */
  onProgress?: ((progress: DownloadProgress) => void) | undefined
}

/** A libp2p connection as `stat()` reports it. */
export interface ConnectionStat {
  readonly peerId: string
  readonly remoteAddr: string
  /** `webrtc` (direct browser-to-browser), `websockets`, or `relayed` (over a circuit relay). */
  readonly kind: 'webrtc' | 'websockets' | 'relayed' | 'other'
  readonly limited: boolean
}

/** Snapshot of a light node. */
export interface LightNodeStat {
  readonly peerId: string
  /** The address (`0x…`) of the node's own key, which owns uploads made without `owner`. */
  readonly ownerAddress: string
  readonly multiaddrs: string[]
  readonly connections: ConnectionStat[]
  readonly store: SliceStoreStat
  readonly served: { readonly slices: number; readonly bytes: number; readonly rejectedStreams: number }
  readonly fetched: { readonly slices: number; readonly bytes: number; readonly badProviders: number }
  /** Whether the browser granted persistent storage (asked for by `contribute`). */
  readonly persisted: boolean | undefined
  /** True in the worker: where libp2p runs. */
  readonly runtime: {
    readonly inWorker: boolean
    readonly hasRealRtc: boolean
    readonly standInPeerConnections: number
  }
}

/** Events of a light node. */
export interface LightNodeEventMap {
  'peer:connect': { peerId: string; kind: ConnectionStat['kind'] }
  'peer:disconnect': { peerId: string }
  'slice:served': { hash: string; bytes: number; peerId: string }
  'slice:fetched': { hash: string; bytes: number; peerId: string }
  'provider:dropped': { peerId: string; reason: string }
  'download:progress': DownloadProgress
  /** A download got no download ticket and goes on without receipts (providers may refuse it). */
  'traffic:ticket-error': { reason: string }
  /** An epoch this node earned in was settled by the meta service. */
  'traffic:settled': { epoch: number; reward: string }
}

/** One event as it crosses from the worker. */
export type LightNodeEvent = {
  [K in keyof LightNodeEventMap]: { type: K; detail: LightNodeEventMap[K] }
}[keyof LightNodeEventMap]

/** One epoch of this node's traffic as a provider. Amounts are decimal wei strings. */
export interface TrafficEpoch {
  readonly epoch: number
  /** Bytes its downloaders signed for (the newest receipt of each downloader and ticket). */
  readonly bytesServed: number
  /** Receipts held for the epoch. */
  readonly receipts: number
  /** The reward the meta service settled for the epoch ('0' until settled). */
  readonly reward: string
  /**
   * `open`: the epoch runs or its receipts wait to be submitted; `submitted`: the meta service holds
   * them; `settled`: the epoch is settled, its root not yet on chain; `claimable`; `claimed`.
   */
  readonly state: 'open' | 'submitted' | 'settled' | 'claimable' | 'claimed'
}

/** What this node earned for the bytes it served (`traffic()`). */
export interface TrafficSummary {
  /** The node key's address: receipts name it, rewards go to it. */
  readonly account: string
  readonly network?: number
  readonly currentEpoch: number
  readonly epochMs: number
  readonly epochs: TrafficEpoch[]
  /** Wei not yet claimable (epochs not settled or their root not posted). */
  readonly pending: string
  readonly claimable: string
  readonly claimed: string
  /** STOS of the account on Polygon, when `polygonRpc` is set. */
  readonly balance?: string
}

/** Options of `claim`. */
export interface ClaimOptions {
  /**
   * The wallet that sends the claims and pays the gas (an EIP-1193 provider that can send transactions).
   * The STOS goes to the node key's account whoever sends. Default: the node key, over `polygonRpc`.
   */
  signer?: PutSigner
}

/** Options of `bindOwner`. */
export interface BindOwnerOptions {
  /** The owner's wallet: it signs the binding (asked from the worker like `put`'s signer). */
  signer: PutSigner
}

/**
 * Result of `bindOwner`: the wallet and the node key bound, and how: kept by the meta service now
 * (`accepted`), kept already (`duplicate`), or known bound by this node without asking (`remembered`).
 */
export interface BindOwnerResult {
  readonly owner: string
  readonly node: string
  readonly outcome: 'accepted' | 'duplicate' | 'remembered'
}

/** Result of `claim`. */
export interface ClaimResult {
  readonly epochs: number[]
  /** Wei claimed in total. */
  readonly amount: string
  readonly txHashes: string[]
}

/** One claim to send: `TrafficRewards.claim(epoch, account, amount, proof)`, its call data ready. */
export interface RewardClaimCall {
  readonly epoch: number
  readonly account: string
  readonly amount: string
  readonly proof: string[]
  /** The `TrafficRewards` contract. */
  readonly to: string
  readonly data: string
}
