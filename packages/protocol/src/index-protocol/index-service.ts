import type { Connection, Libp2p, PeerId, Stream } from '@libp2p/interface'
import { addressToBytes, type FileHash, type SliceHash, toChecksumAddress } from '@stratos-edge/core'
import {
  NoRewardError,
  SliceNotFoundError,
  UnexpectedEndOfStreamError,
  UnsupportedOperationError,
} from '../errors.js'
import { FrameReader } from '../framing/frame-reader.js'
import { encodeFrame } from '../framing/frame-writer.js'
import { INDEX_PROTOCOL, MAX_INDEX_FRAME_BYTES, MAX_MANIFEST_OWNERS } from '../protocol-ids.js'
import { closeGracefully, closeWithError } from '../stream-utils.js'
import {
  type Announcement,
  decodeIndexRequest,
  encodeIndexResponse,
  IndexOp,
  type IndexRequest,
  type IndexResponse,
  type PlacementRequest,
  type ProviderRecord,
} from './index-messages.js'
import type { RegisterNodeOwnerResult } from './node-owner-messages.js'
import type { SubmitSelfReportResult } from './self-report-messages.js'
import type { RewardProof, SubmitReceiptsResult, TrafficStatus } from './traffic-messages.js'

/** Who is asking: the authenticated remote peer and the address it connected from. */
export interface IndexRequestContext {
  peer: PeerId
  /** The connection's remote multiaddr, as text (for nearest-first ordering). */
  remoteAddr: string
}

/**
 * What answers index requests. The meta service implements all of it; a light node implements only
 * `lookup` (for the slices it holds). A missing method answers `UnsupportedOperationError`.
 */
export interface IndexBackend {
  announce?(announcement: Announcement, context: IndexRequestContext): Promise<void> | void
  withdraw?(hashes: SliceHash[], context: IndexRequestContext): Promise<void> | void
  /** Providers per slice hash, nearest to the requester first, at most `limit` each. */
  lookup?(
    hashes: SliceHash[],
    limit: number,
    context: IndexRequestContext,
  ): Promise<Map<SliceHash, ProviderRecord[]>> | Map<SliceHash, ProviderRecord[]>
  /** Distinct peers for `replicas` copies, nearest to the requester first. */
  place?(
    request: PlacementRequest,
    context: IndexRequestContext,
  ): Promise<ProviderRecord[]> | ProviderRecord[]
  /** Verifies and stores a manifest (paid for by `ticket`, core's `encodeTicket`, when sent); returns its file hash. */
  putManifest?(
    bytes: Uint8Array,
    context: IndexRequestContext,
    ticket?: Uint8Array,
  ): Promise<FileHash> | FileHash
  /** The manifest `owner` (a checksummed address) signed, when given; else any manifest of the file. */
  getManifest?(
    fileHash: FileHash,
    context: IndexRequestContext,
    owner?: string,
  ): Promise<Uint8Array | undefined> | Uint8Array | undefined
  /**
   * The owners (`0x…` or `st1…` addresses) who signed the manifests of the file held, first stored first;
   * only the first `MAX_MANIFEST_OWNERS` (16) are answered.
   */
  manifestOwners?(
    fileHash: FileHash,
    context: IndexRequestContext,
  ): Promise<readonly string[]> | readonly string[]
  /** The peers among `peerIds` the registry lists as resource nodes, with the addresses it knows. */
  resourceNodes?(
    peerIds: readonly string[],
    context: IndexRequestContext,
  ): Promise<ProviderRecord[]> | ProviderRecord[]
  /** An upload ticket (core's `encodeTicket`) for an owner-signed request (core's `encodeTicketRequest`). */
  requestTicket?(request: Uint8Array, context: IndexRequestContext): Promise<Uint8Array> | Uint8Array
  /**
   * A download ticket (core's `encodeTicket`, kind download) for a downloader-signed request (core's
   * `encodeDownloadTicketRequest`), reserving the file owner's ozone.
   */
  requestDownloadTicket?(request: Uint8Array, context: IndexRequestContext): Promise<Uint8Array> | Uint8Array
  /**
   * Takes encoded receipts (core's `encodeReceipt`, at most `MAX_RECEIPTS_PER_SUBMIT`) a provider
   * earned; `rejected` names each refused one by its index in `receipts`. No auth: a receipt pays only
   * its named provider.
   */
  submitReceipts?(
    receipts: Uint8Array[],
    context: IndexRequestContext,
  ): Promise<SubmitReceiptsResult> | SubmitReceiptsResult
  /** The epoch clock, plus the account's epochs and amounts when `account` (checksummed) is given. */
  trafficStatus?(
    account: string | undefined,
    context: IndexRequestContext,
  ): Promise<TrafficStatus> | TrafficStatus
  /** The account's (checksummed) reward proof in a settled epoch; undefined answers `NoRewardError`. */
  rewardProof?(
    epoch: number,
    account: string,
    context: IndexRequestContext,
  ): Promise<RewardProof | undefined> | RewardProof | undefined
  /**
   * Drops the manifest an owner-signed delete (core's `encodeManifestDelete`) names, after verifying it;
   * resolves whether a manifest was dropped.
   */
  deleteManifest?(request: Uint8Array, context: IndexRequestContext): Promise<boolean> | boolean
  /**
   * Takes a serving node's signed gateway self-report (the resource node's `encodeSelfReport`); the
   * report's signature, not the peer, says whose it is.
   */
  submitSelfReport?(
    report: Uint8Array,
    context: IndexRequestContext,
  ): Promise<SubmitSelfReportResult> | SubmitSelfReportResult
  /**
   * Keeps a node-owner binding signed by both the owner and the node (core's `encodeNodeOwnerBinding`);
   * the signatures, not the peer, say whose it is.
   */
  registerNodeOwner?(
    binding: Uint8Array,
    context: IndexRequestContext,
  ): Promise<RegisterNodeOwnerResult> | RegisterNodeOwnerResult
}

/** Options of {@link registerIndexProtocol}. */
export interface IndexServiceInit {
  backend: IndexBackend
  /** Inactivity timeout, ms (default 15 000). */
  timeout?: number
  maxInboundStreams?: number
  /** Answer over relayed connections too (default true: index requests are small). */
  runOnLimitedConnection?: boolean
  onStreamError?(error: Error, context: { peer: PeerId }): void
  /** Called with each well-formed request's type, before it is answered (for metrics). */
  onRequest?(op: IndexOp, context: { peer: PeerId }): void
  /**
   * Asked with each well-formed request before the backend sees it: throw to refuse it (a per-peer limit
   * throws `RateLimitedError`, which crosses the wire with its wait). Nothing of a refused request runs.
   */
  admit?(request: IndexRequest, context: IndexRequestContext): Promise<void> | void
}

function unsupported(what: string): never {
  throw new UnsupportedOperationError(
    `This node does not serve ${what}`,
    'Ask a node that runs the meta service',
  )
}

/**
 * Creates the index stream handler (one request, one response per stream) over an {@link IndexBackend}.
 *
 * @example
 * ```ts
 * const handle = createIndexHandler({ backend: { lookup: (hashes) => myLookup(hashes) } })
 * await libp2p.handle(INDEX_PROTOCOL, handle)
 * ```
 */
export function createIndexHandler(
  init: IndexServiceInit,
): (stream: Stream, connection: Pick<Connection, 'remotePeer' | 'remoteAddr'>) => Promise<void> {
  const timeout = init.timeout ?? 15_000
  const b = init.backend
  return async (stream, connection) => {
    const context: IndexRequestContext = {
      peer: connection.remotePeer,
      remoteAddr: connection.remoteAddr.toString(),
    }
    const reader = new FrameReader(stream, { maxFrameBytes: MAX_INDEX_FRAME_BYTES })
    try {
      const body = await reader.next({ signal: AbortSignal.timeout(timeout) })
      if (body === null) throw new UnexpectedEndOfStreamError('No request', 'Send one request per stream')
      const req = decodeIndexRequest(body)
      init.onRequest?.(req.op, { peer: connection.remotePeer })
      await init.admit?.(req, context)
      let res: IndexResponse
      switch (req.op) {
        case IndexOp.ANNOUNCE:
          if (!b.announce) unsupported('announcements')
          await b.announce(req.announcement, context)
          res = { op: req.op }
          break
        case IndexOp.WITHDRAW:
          if (!b.withdraw) unsupported('withdrawals')
          await b.withdraw(req.hashes, context)
          res = { op: req.op }
          break
        case IndexOp.LOOKUP:
          if (!b.lookup) unsupported('lookups')
          res = { op: req.op, results: await b.lookup(req.hashes, Math.max(1, req.limit), context) }
          break
        case IndexOp.PLACE:
          if (!b.place) unsupported('placement')
          res = { op: req.op, targets: await b.place(req.placement, context) }
          break
        case IndexOp.PUT_MANIFEST:
          if (!b.putManifest) unsupported('manifests')
          res = { op: req.op, fileHash: await b.putManifest(req.manifest, context, req.ticket) }
          break
        case IndexOp.GET_MANIFEST: {
          if (!b.getManifest) unsupported('manifests')
          const owner = req.owner ? toChecksumAddress(req.owner) : undefined
          const manifest = await b.getManifest(req.fileHash, context, owner)
          if (!manifest) throw new SliceNotFoundError(`No manifest for ${req.fileHash}`, 'Upload it first')
          res = { op: req.op, manifest }
          break
        }
        case IndexOp.MANIFEST_OWNERS: {
          if (!b.manifestOwners) unsupported('manifest owners')
          const owners = await b.manifestOwners(req.fileHash, context)
          res = { op: req.op, owners: owners.slice(0, MAX_MANIFEST_OWNERS).map((o) => addressToBytes(o)) }
          break
        }
        case IndexOp.RESOURCE_NODES:
          if (!b.resourceNodes) unsupported('the resource node registry')
          res = { op: req.op, nodes: await b.resourceNodes(req.peerIds, context) }
          break
        case IndexOp.REQUEST_TICKET:
          if (!b.requestTicket) unsupported('upload tickets')
          res = { op: req.op, ticket: await b.requestTicket(req.request, context) }
          break
        case IndexOp.REQUEST_DOWNLOAD_TICKET:
          if (!b.requestDownloadTicket) unsupported('download tickets')
          res = { op: req.op, ticket: await b.requestDownloadTicket(req.request, context) }
          break
        case IndexOp.SUBMIT_RECEIPTS:
          if (!b.submitReceipts) unsupported('traffic receipts')
          res = { op: req.op, result: await b.submitReceipts(req.receipts, context) }
          break
        case IndexOp.TRAFFIC_STATUS: {
          if (!b.trafficStatus) unsupported('traffic status')
          const account = req.account ? toChecksumAddress(req.account) : undefined
          res = { op: req.op, status: await b.trafficStatus(account, context) }
          break
        }
        case IndexOp.REWARD_PROOF: {
          if (!b.rewardProof) unsupported('reward proofs')
          const account = toChecksumAddress(req.account)
          const proof = await b.rewardProof(req.epoch, account, context)
          if (!proof)
            throw new NoRewardError(
              `No reward for ${account} in epoch ${req.epoch}`,
              'Ask again once it is settled',
            )
          res = { op: req.op, proof }
          break
        }
        case IndexOp.DELETE_MANIFEST:
          if (!b.deleteManifest) unsupported('manifest deletes')
          res = { op: req.op, dropped: await b.deleteManifest(req.request, context) }
          break
        case IndexOp.SUBMIT_SELF_REPORT:
          if (!b.submitSelfReport) unsupported('gateway self-reports')
          res = { op: req.op, result: await b.submitSelfReport(req.report, context) }
          break
        case IndexOp.REGISTER_NODE_OWNER:
          if (!b.registerNodeOwner) unsupported('node-owner bindings')
          res = { op: req.op, result: await b.registerNodeOwner(req.binding, context) }
          break
      }
      stream.send(encodeFrame(encodeIndexResponse(res)))
      reader.release()
      await closeGracefully(stream, timeout)
    } catch (err) {
      reader.release()
      init.onStreamError?.(err as Error, { peer: connection.remotePeer })
      await closeWithError(stream, err)
    }
  }
}

/**
 * Registers the index protocol on a libp2p node.
 *
 * @example
 * ```ts
 * await registerIndexProtocol(libp2p, { backend: metaService })
 * ```
 */
export async function registerIndexProtocol(
  libp2p: Pick<Libp2p, 'handle'>,
  init: IndexServiceInit,
): Promise<void> {
  await libp2p.handle(INDEX_PROTOCOL, createIndexHandler(init), {
    maxInboundStreams: init.maxInboundStreams ?? 256,
    runOnLimitedConnection: init.runOnLimitedConnection ?? true,
  })
}
