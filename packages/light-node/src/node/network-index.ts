/**
 * What the light node needs of the meta service's index, behind one interface so the node logic does not
 * depend on the wire client's shape.
 */
import type { RegisterNodeOwnerResult } from '@stratos-edge/protocol'
import type { TrafficIndex } from './traffic/traffic-index.js'

/** A peer that may hold slices. */
export interface ProviderInfo {
  readonly peerId: string
  readonly multiaddrs: string[]
  /** Browsers are reached over direct WebRTC and tried first; resource nodes are the fallback. */
  readonly kind: 'light' | 'resource'
}

/**
 * The meta service's index as the light node uses it; the Proof of Traffic operations are there when
 * the index client speaks them.
 */
export interface NetworkIndex extends Partial<TrafficIndex> {
  /**
   * Tells the index this node holds these slices (edge relay). With `replace`, they are all it holds:
   * the index forgets any other slice it listed for this node.
   */
  announce(sliceHashes: readonly string[], options?: { replace?: boolean }): Promise<void>
  /** Tells the index this node no longer holds these slices (evicted, dropped or found corrupt). */
  withdraw(sliceHashes: readonly string[]): Promise<void>
  /** Providers per slice hash. */
  lookup(sliceHashes: readonly string[]): Promise<Map<string, ProviderInfo[]>>
  /** Resource nodes to push a new file's slices to. */
  place(fileHash: string, size: number, replicas: number): Promise<ProviderInfo[]>
  /** Publishes a signed manifest, with the upload ticket that paid for its file when there is one. */
  putManifest(bytes: Uint8Array, ticket?: Uint8Array): Promise<void>
  /**
   * An upload ticket (core's `encodeTicket`) for an owner-signed request (core's `encodeTicketRequest`);
   * throws `InsufficientOzoneError` when the owner's ozone is short.
   */
  requestTicket?(request: Uint8Array): Promise<Uint8Array>
  /** A manifest of the file: the one `owner` signed, when given (an sdm:// URI's owner). */
  getManifest(fileHash: string, owner?: string, signal?: AbortSignal): Promise<Uint8Array | undefined>
  /**
   * Sends an owner-signed delete (core's `encodeManifestDelete`) to every resource node known (the meta
   * service and the nodes that keep copies of manifests); resolves the peer ids that dropped the
   * manifest. Throws the last refusal when every node refused or none answered.
   */
  deleteManifest?(request: Uint8Array): Promise<string[]>
  /** Registers a node-owner binding (core's `encodeNodeOwnerBinding`) with the meta service. */
  registerNodeOwner?(binding: Uint8Array): Promise<RegisterNodeOwnerResult>
}
