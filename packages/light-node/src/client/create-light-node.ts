import type {
  BindOwnerOptions,
  BindOwnerResult,
  ClaimOptions,
  ClaimResult,
  GetOptions,
  LightNodeEventMap,
  LightNodeOptions,
  LightNodeStat,
  OwnedFile,
  PutOptions,
  PutResult,
  RewardClaimCall,
  TrafficSummary,
  WithdrawOptions,
  WithdrawResult,
} from '../api-types.js'
import { createOriginNode } from './origin-node.js'
import { startWorkerNode } from './worker-node.js'

/**
 * The page-side handle of a light node running in a worker: this tab's, or the one another tab of the
 * origin runs (see {@link createLightNode}).
 */
export interface LightNode {
  /** The node's libp2p peer id. */
  readonly peerId: string
  /** Uploads a file: stores its slices (owned), pushes them to resource nodes, publishes the manifest. */
  put(file: Blob | Uint8Array, options?: PutOptions): Promise<PutResult>
  /**
   * Streams a file by file hash or `sdm://` URI, fetching verified slices from the nearest providers.
   * A byte stream: read it with `getReader({ mode: 'byob' })` and one reused buffer to receive large files
   * without allocating on the page.
   */
  get(ref: string, options?: GetOptions): ReadableStream<Uint8Array>
  stat(): Promise<LightNodeStat>
  /** Offers `bytes` of browser storage to the network (asks for persistent storage). */
  contribute(options: { bytes: number }): Promise<{ budgetBytes: number; persisted: boolean }>
  /** Removes a file's cached slices from this node (owned slices too with `includeOwned`). */
  drop(fileHash: string, options?: { includeOwned?: boolean }): Promise<void>
  /** The files this node uploaded (owned by its key or a page wallet), newest first. */
  files(): Promise<OwnedFile[]>
  /**
   * Withdraws an owned file from the network: its owner signs a delete (the `signer` wallet, or the node's
   * key), the resource nodes drop the owner's manifest (its links then answer 404) and let go of slices no
   * other manifest names, and this node drops the file and withdraws its announcements.
   */
  withdraw(fileHash: string, options?: WithdrawOptions): Promise<WithdrawResult>
  // Proof of Traffic (with `network`): what this node earned serving slices, and claiming it.
  /** Bytes served per epoch, receipts held, rewards pending, claimable and claimed (and the STOS balance). */
  traffic(): Promise<TrafficSummary>
  /**
   * Claims every settled epoch's reward on `TrafficRewards`: sent by `signer` (an EIP-1193 wallet, which
   * pays the gas) or by the node key over `polygonRpc`. The STOS goes to the node key's account.
   */
  claim(options?: ClaimOptions): Promise<ClaimResult>
  /** The claims `claim` would send, with their proofs and call data. */
  claimPlan(): Promise<RewardClaimCall[]>
  /**
   * Binds this node to its owner's wallet with the meta service (the wallet signs once, the node key
   * countersigns), so receipts between this node and the wallet's other nodes, or the wallet itself, pay
   * nothing (self-dealing). Remembered: a wallet bound before is not asked again. `put` with a signer
   * binds its wallet too. Throws `OwnerBindingRefusedError` when the meta service refuses.
   */
  bindOwner(options: BindOwnerOptions): Promise<BindOwnerResult>
  addEventListener<K extends keyof LightNodeEventMap>(
    type: K,
    listener: (event: CustomEvent<LightNodeEventMap[K]>) => void,
  ): void
  removeEventListener<K extends keyof LightNodeEventMap>(
    type: K,
    listener: (event: CustomEvent<LightNodeEventMap[K]>) => void,
  ): void
  /**
   * In the tab that runs the node: stops libp2p, closes the store and the page's peer connections, ends
   * the worker, and lets another tab of the origin take the node over. In another tab: disconnects.
   */
  stop(): Promise<void>
}

/**
 * Starts the origin's light node, or joins it. Tabs of one origin (with one `storeName`) run one node:
 * the first elected through the Web Locks API starts it in a DedicatedWorker and resolves once it is
 * connected to a resource node and reachable by other browsers (relay reservation made); the others
 * resolve once connected to it, use it through the same API (their own options other than `storeName`
 * are not used while another tab leads), and one of them takes it over on the same store when its tab
 * closes. Where there is no Web Locks API or BroadcastChannel, each call starts its own node.
 *
 * @example
 * ```ts
 * const node = await createLightNode({ resourceNodes: ['/ip4/10.99.0.1/tcp/4001/ws/p2p/12D3KooW…'] })
 * const { uri } = await node.put(file, { onProgress: (p) => console.log(p.phase, p.bytes) })
 * const bytes = await new Response(node.get(uri)).arrayBuffer()
 * ```
 */
export async function createLightNode(options: LightNodeOptions): Promise<LightNode> {
  const locks = (globalThis as { navigator?: { locks?: LockManager } }).navigator?.locks
  if (!locks || typeof BroadcastChannel !== 'function') return startWorkerNode(options)
  return createOriginNode(options, {
    locks,
    startLocal: (o, onEnd) => startWorkerNode(o, { onEnd }),
  })
}
