/**
 * @packageDocumentation
 * `@stratos-edge/light-node`: the Stratos Edge browser light node. The whole node (libp2p with
 * WebSockets, WebRTC and circuit relay, the IndexedDB slice store, hashing and the wire protocols) runs
 * in a DedicatedWorker; the page holds only the real `RTCPeerConnection`s (each data channel is
 * transferred to the worker as soon as it exists) and a typed comlink client.
 *
 * @example
 * ```ts
 * import { createLightNode } from '@stratos-edge/light-node'
 *
 * const node = await createLightNode({ resourceNodes: ['/ip4/10.99.0.1/tcp/4001/ws/p2p/12D3KooW…'] })
 * const { uri } = await node.put(file, { onProgress: (p) => console.log(p.phase, p.bytes) })
 * // Owned by the page's wallet: sdm://<its st1 address>/<file hash>
 * const owned = await node.put(file, { signer: window.ethereum })
 * const bytes = new Uint8Array(await new Response(node.get(uri)).arrayBuffer())
 * await node.contribute({ bytes: 2 * 1024 ** 3 })
 * console.log(await node.stat())
 * await node.stop()
 * ```
 *
 * This entry is the page API only. The worker's internals (the slice store, the RTC stand-in, the
 * worker-side service) are at `@stratos-edge/light-node/worker`.
 */

export type {
  // Proof of Traffic
  BindOwnerOptions,
  BindOwnerResult,
  ClaimOptions,
  ClaimResult,
  ConnectionStat,
  DownloadProgress,
  GetOptions,
  LightNodeEvent,
  LightNodeEventMap,
  LightNodeOptions,
  LightNodeStat,
  OwnedFile,
  PutOptions,
  PutProgress,
  PutRequest,
  PutResult,
  PutSigner,
  RewardClaimCall,
  TrafficEpoch,
  TrafficSummary,
  WithdrawOptions,
  WithdrawResult,
} from './api-types.js'
export { createLightNode, type LightNode } from './client/create-light-node.js'
export {
  // Proof of Traffic
  ClaimFailedError,
  ClaimSignerError,
  errorFromPlain,
  FileChangedError,
  LeaderLostError,
  ManifestNotFoundError,
  NodeStartError,
  NodeStoppedError,
  NoProviderError,
  NothingToClaimError,
  OwnerBindingRefusedError,
  ProtocolViolationError,
  SignatureRejectedError,
  SigningFailedError,
  SliceDigestCountError,
  SliceNotFoundError,
  SliceVerificationError,
  StorageQuotaError,
  TrafficUnavailableError,
  UploadFailedError,
  WorkerLostError,
} from './errors.js'
export type { SliceStoreStat } from './store/idb-slice-store.js'
