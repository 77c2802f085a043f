import type { Ticket } from '@stratos-edge/core'
import type { IndexBackend, ManifestStore } from '@stratos-edge/protocol'
import type { TicketGate } from '../gateway/ticket-gate.js'
import type { Logger } from '../logger.js'
import type { DeleteForwarder } from './delete-forwarder.js'
import type { ManifestDeleter } from './manifest-deleter.js'
import type { TicketIssuer } from './ticket-issuer.js'

/** Options of `createMetaService`. */
export interface MetaServiceInit {
  /**
   * Where manifests are kept (the node's disk store). Its `manifestOwners` answers which owners signed
   * manifests of a file; a store without it lists none.
   */
  manifests: ManifestStore
  logger?: Logger
  /** Most slices indexed per peer; announcements beyond it are refused (default 4 194 304). */
  maxSlicesPerPeer?: number
  /**
   * Most slices indexed for a peer the registry does not list as a resource node (browsers); default
   * 262 144. Throwaway peer ids cannot fill the index.
   */
  maxSlicesPerUnregisteredPeer?: number
  /**
   * Close the registry even without `resourcePeers`: only the node this service runs in is a resource
   * node (set when upload tickets are on: a paid network never trusts a peer's own word).
   */
  closedRegistry?: boolean
  /** Resource nodes not heard from for this long are not placed on (default 5 minutes). */
  staleAfterMs?: number
  /**
   * Resource nodes not heard from for this long are forgotten with their slices (default 30 minutes; a
   * live one re-announces everything it holds every 30 s).
   */
  forgetAfterMs?: number
  /** Most slices indexed over all peers (peer ids cost nothing); default 16 777 216. */
  maxIndexedSlices?: number
  /**
   * The registry: peer ids of the resource nodes this service vouches for (besides the node it runs in,
   * registered through `registerLocal`). Only these are placed on and forwarded to, whatever other peers
   * announce. Without it the registry is open: every peer announcing itself a resource node is listed
   * (development setups; say so in production).
   */
  resourcePeers?: readonly string[]
  /** Issues upload tickets (REQUEST_TICKET); without it the service answers UnsupportedOperationError. */
  tickets?: TicketIssuer
  /**
   * With it, PUT_MANIFEST needs the upload ticket of the manifest's owner, bound (or bindable) to its file:
   * the node's gate, so a ticket bound at a commit here is the one the manifest must come with.
   */
  ticketGate?: TicketGate
  /**
   * With `ticketGate`: a manifest paid by an upload ticket was stored; `size` is the file's bytes (the
   * ledger gives back what the ticket reserved and the file did not use).
   */
  onUploadCommitted?(ticket: Ticket, size: number): Promise<void>
  /**
   * Proof of Traffic (download tickets, receipts, traffic status, reward proofs); without it those
   * requests answer UnsupportedOperationError.
   */
  traffic?: MetaTrafficBackend
  now?: () => number
  /**
   * Answers DELETE_MANIFEST (owners' signed deletes); default one over `manifests` that takes deletes
   * signed for any network. One given here must call `deletes.forward` as its `beforeDrop`.
   */
  deleter?: ManifestDeleter
  /**
   * Forwards the deletes about to be dropped here to every registered resource node (recorded durably
   * before the drop, by the deleter's `beforeDrop`); told when a node
   * announces itself, so one that was down gets what it is owed. Without it deletes stay here.
   */
  deletes?: Pick<DeleteForwarder, 'forward' | 'peerSeen'>
}

/** The Proof of Traffic part of the index protocol, as the meta service's settlement answers it. */
export type MetaTrafficBackend = Pick<
  Required<IndexBackend>,
  'requestDownloadTicket' | 'submitReceipts' | 'trafficStatus' | 'rewardProof'
> &
  // Gateway self-reports and node-owner bindings are optional: without the hook they answer
  // UnsupportedOperationError.
  Pick<IndexBackend, 'submitSelfReport' | 'registerNodeOwner'>
