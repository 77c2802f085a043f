import {
  addressToBytes,
  type EvmAddress,
  type FileHash,
  isErrorNamed,
  type SliceHash,
  toChecksumAddress,
} from '@stratos-edge/core'
import { UnexpectedEndOfStreamError, UnsupportedOperationError } from '../errors.js'
import { FrameReader } from '../framing/frame-reader.js'
import { encodeFrame } from '../framing/frame-writer.js'
import { INDEX_PROTOCOL, MAX_HASHES_PER_MESSAGE, MAX_INDEX_FRAME_BYTES } from '../protocol-ids.js'
import type { ClientOptions, DialComponents, DialTarget } from '../slices/slice-client.js'
import { closeGracefully, withTimeout } from '../stream-utils.js'
import { decodeErrorMessage, MSG_ERROR } from '../wire-errors.js'
import {
  type Announcement,
  decodeIndexResponse,
  encodeIndexRequest,
  IndexOp,
  type IndexRequest,
  type IndexResponse,
  type PlacementRequest,
  type ProviderRecord,
} from './index-messages.js'
import type { RegisterNodeOwnerResult } from './node-owner-messages.js'
import type { SubmitSelfReportResult } from './self-report-messages.js'
import {
  MAX_RECEIPTS_PER_SUBMIT,
  type RewardProof,
  type SubmitReceiptsResult,
  type TrafficStatus,
} from './traffic-messages.js'

/** A client of one index peer (the meta service, or a light node for lookups). */
export interface IndexClient {
  /** Tells the index this node holds `hashes` (sent in batches of ≤ 4096). */
  announce(
    announcement: Omit<Announcement, 'hashes'> & { hashes?: SliceHash[] },
    options?: ClientOptions,
  ): Promise<void>
  withdraw(hashes: SliceHash[], options?: ClientOptions): Promise<void>
  /** Providers per slice hash, nearest first. */
  lookup(
    hashes: SliceHash[],
    options?: ClientOptions & { limit?: number },
  ): Promise<Map<SliceHash, ProviderRecord[]>>
  /** Where to push a file's slices: `replicas` distinct peers, nearest first. */
  place(
    request: Omit<PlacementRequest, 'replicas' | 'exclude'> & { replicas?: number; exclude?: string[] },
    options?: ClientOptions,
  ): Promise<ProviderRecord[]>
  /** Stores a signed manifest (core `encodeManifest` bytes); returns its file hash. */
  putManifest(bytes: Uint8Array, options?: ClientOptions & { ticket?: Uint8Array }): Promise<FileHash>
  /**
   * The manifest bytes (the one `owner` signed, when given: an sdm:// URI's owner); throws
   * SliceNotFoundError when the index has none.
   */
  getManifest(fileHash: FileHash, options?: ClientOptions & { owner?: string }): Promise<Uint8Array>
  /**
   * The owners (checksummed addresses) who signed the manifests of the file the index holds, at most
   * `MAX_MANIFEST_OWNERS` (16); empty when it holds none. Ask {@link IndexClient.getManifest} with an
   * owner for each one's manifest. Throws UnsupportedOperationError when the peer cannot list them (it
   * does not run the meta service, or it is a node from before the request).
   */
  manifestOwners(fileHash: FileHash, options?: ClientOptions): Promise<EvmAddress[]>
  /**
   * The peers among `peerIds` that the meta service's registry lists as resource nodes, with the addresses
   * it knows for them (not any the caller was given). Throws UnsupportedOperationError when the peer
   * keeps no registry.
   */
  resourceNodes(peerIds: readonly string[], options?: ClientOptions): Promise<ProviderRecord[]>
  /**
   * An upload ticket (core's `encodeTicket` bytes) for an owner-signed request (core's
   * `encodeTicketRequest` bytes). Throws `InsufficientOzoneError` when the owner's ozone is short.
   */
  requestTicket(request: Uint8Array, options?: ClientOptions): Promise<Uint8Array>
  /**
   * A download ticket (core's `encodeTicket` bytes, kind download, paid by the file's owner) for a
   * downloader-signed request (core's `encodeDownloadTicketRequest` bytes). Throws
   * `InsufficientOzoneError` when the owner's ozone is short, `SliceNotFoundError` when the meta service
   * knows no manifest of the file, UnsupportedOperationError when the peer issues none.
   */
  requestDownloadTicket(request: Uint8Array, options?: ClientOptions): Promise<Uint8Array>
  /**
   * Submits encoded receipts (core's `encodeReceipt`), in batches of `MAX_RECEIPTS_PER_SUBMIT`; each
   * rejected one is named by its index in `receipts` with the rule it broke (docs/proof-of-traffic.md).
   */
  submitReceipts(receipts: readonly Uint8Array[], options?: ClientOptions): Promise<SubmitReceiptsResult>
  /** The epoch clock, and with an account (any address form) its epochs, pending, claimable and claimed. */
  trafficStatus(account?: string, options?: ClientOptions): Promise<TrafficStatus>
  /**
   * What `TrafficRewards.claim` takes for the account's reward in a settled epoch. Throws `NoRewardError`
   * when it has none (not settled yet, or no traffic).
   */
  rewardProof(epoch: number, account: string, options?: ClientOptions): Promise<RewardProof>
  /**
   * Asks the peer to drop the manifest an owner-signed delete (core's `encodeManifestDelete` bytes)
   * names; resolves whether it held and dropped it. Throws `NotOwnerError`, `DeleteExpiredError` or
   * `WrongNetworkError` as the peer refuses it.
   */
  deleteManifest(request: Uint8Array, options?: ClientOptions): Promise<boolean>
  /**
   * Submits a gateway self-report (the resource node's `encodeSelfReport` bytes); the answer says whether
   * it is held, or which rule it broke. UnsupportedOperationError when the peer takes none.
   */
  submitSelfReport(report: Uint8Array, options?: ClientOptions): Promise<SubmitSelfReportResult>
  /**
   * Registers a node-owner binding (core's `encodeNodeOwnerBinding` bytes); the answer says whether it
   * is kept, or which rule it broke. UnsupportedOperationError when the peer takes none.
   */
  registerNodeOwner(binding: Uint8Array, options?: ClientOptions): Promise<RegisterNodeOwnerResult>
}

/** ERROR frames the index peer sent, as opposed to errors raised here (a malformed answer, a timeout). */
const remoteErrors = new WeakSet<Error>()

/** Sends one index request on a new stream and returns the decoded response. */
export async function indexRequest(
  libp2p: DialComponents,
  peer: DialTarget,
  req: IndexRequest,
  options: ClientOptions = {},
): Promise<IndexResponse> {
  const signal = withTimeout(options.signal, options.timeout ?? 15_000)
  const stream = await libp2p.dialProtocol(peer, INDEX_PROTOCOL, {
    signal,
    runOnLimitedConnection: options.runOnLimitedConnection ?? true,
  })
  const reader = new FrameReader(stream, { maxFrameBytes: MAX_INDEX_FRAME_BYTES })
  try {
    stream.send(encodeFrame(encodeIndexRequest(req)))
    const body = await reader.next({ signal })
    if (body === null) throw new UnexpectedEndOfStreamError('Index peer closed without a reply', 'Retry')
    if (body[0] === MSG_ERROR) {
      const remote = decodeErrorMessage(body, 'Index peer')
      remoteErrors.add(remote)
      throw remote
    }
    const res = decodeIndexResponse(body, req.op)
    reader.release()
    void closeGracefully(stream, 2000)
    return res
  } catch (err) {
    reader.release()
    if (stream.status === 'open') stream.abort(err as Error)
    throw err
  }
}

/** A peer from before a request refuses its type as malformed: say so with UnsupportedOperationError. */
function olderPeer(what: string): (err: unknown) => never {
  return (err) => {
    if (isErrorNamed(err, 'DecodeError') && remoteErrors.has(err as Error)) {
      throw new UnsupportedOperationError(
        `The index peer does not know the ${what} request (a node from before it)`,
        'Ask a newer meta service',
        { cause: err },
      )
    }
    throw err
  }
}

function unexpected(): never {
  throw new UnexpectedEndOfStreamError('Unexpected response', 'Retry')
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

/**
 * A client for the index protocol of `peer`.
 *
 * @example
 * ```ts
 * const index = createIndexClient(libp2p, metaPeerId)
 * const [first, second] = await index.place({ fileHash, size: file.size, replicas: 2 })
 * const providers = await index.lookup([sliceHash])
 * ```
 */
export function createIndexClient(libp2p: DialComponents, peer: DialTarget): IndexClient {
  return {
    async announce(a, options) {
      const hashes = a.hashes ?? []
      const batches = hashes.length === 0 ? [[]] : chunks(hashes, MAX_HASHES_PER_MESSAGE)
      let replace = a.replace
      for (const batch of batches) {
        await indexRequest(
          libp2p,
          peer,
          { op: IndexOp.ANNOUNCE, announcement: { ...a, replace, hashes: batch } },
          options,
        )
        replace = false
      }
    },
    async withdraw(hashes, options) {
      for (const batch of chunks(hashes, MAX_HASHES_PER_MESSAGE)) {
        await indexRequest(libp2p, peer, { op: IndexOp.WITHDRAW, hashes: batch }, options)
      }
    },
    async lookup(hashes, options = {}) {
      const out = new Map<SliceHash, ProviderRecord[]>()
      for (const batch of chunks(hashes, MAX_HASHES_PER_MESSAGE)) {
        const res = await indexRequest(
          libp2p,
          peer,
          { op: IndexOp.LOOKUP, hashes: batch, limit: options.limit ?? 16 },
          options,
        )
        if (res.op === IndexOp.LOOKUP) for (const [h, p] of res.results) out.set(h, p)
      }
      return out
    },
    async place(request, options) {
      const res = await indexRequest(
        libp2p,
        peer,
        {
          op: IndexOp.PLACE,
          placement: {
            fileHash: request.fileHash,
            size: request.size,
            replicas: request.replicas ?? 2,
            exclude: request.exclude ?? [],
          },
        },
        options,
      )
      return res.op === IndexOp.PLACE ? res.targets : []
    },
    async putManifest(bytes, options) {
      const res = await indexRequest(
        libp2p,
        peer,
        { op: IndexOp.PUT_MANIFEST, manifest: bytes, ...(options?.ticket ? { ticket: options.ticket } : {}) },
        options,
      )
      if (res.op !== IndexOp.PUT_MANIFEST)
        throw new UnexpectedEndOfStreamError('Unexpected response', 'Retry')
      return res.fileHash
    },
    async getManifest(fileHash, options) {
      const owner = options?.owner ? addressToBytes(options.owner) : undefined
      const ask = (withOwner: boolean) =>
        indexRequest(
          libp2p,
          peer,
          { op: IndexOp.GET_MANIFEST, fileHash, ...(owner && withOwner ? { owner } : {}) },
          options,
        )
      // A node from before the owner field refuses it as trailing bytes: ask it for any manifest (the
      // caller checks the owner of what comes back).
      const res = await ask(true).catch((err: unknown) => {
        if (owner && isErrorNamed(err, 'DecodeError')) return ask(false)
        throw err
      })
      if (res.op !== IndexOp.GET_MANIFEST)
        throw new UnexpectedEndOfStreamError('Unexpected response', 'Retry')
      return res.manifest
    },
    async manifestOwners(fileHash, options) {
      const res = await indexRequest(libp2p, peer, { op: IndexOp.MANIFEST_OWNERS, fileHash }, options).catch(
        (err: unknown) => {
          // A node from before the request refuses its type as malformed: it cannot list owners.
          if (isErrorNamed(err, 'DecodeError') && remoteErrors.has(err)) {
            throw new UnsupportedOperationError(
              'The index peer does not know the manifest-owners request (a node from before it)',
              'Go without the list: read the manifest the index answers with, or ask a newer node',
              { cause: err },
            )
          }
          throw err
        },
      )
      if (res.op !== IndexOp.MANIFEST_OWNERS)
        throw new UnexpectedEndOfStreamError('Unexpected response', 'Retry')
      return res.owners.map((o) => toChecksumAddress(o))
    },
    async resourceNodes(peerIds, options) {
      const res = await indexRequest(
        libp2p,
        peer,
        { op: IndexOp.RESOURCE_NODES, peerIds: [...peerIds] },
        options,
      ).catch((err: unknown) => {
        if (isErrorNamed(err, 'DecodeError') && remoteErrors.has(err)) {
          throw new UnsupportedOperationError(
            'The index peer does not know the resource-nodes request (a node from before it)',
            'Forward to nobody, or ask a newer meta service',
            { cause: err },
          )
        }
        throw err
      })
      if (res.op !== IndexOp.RESOURCE_NODES)
        throw new UnexpectedEndOfStreamError('Unexpected response', 'Retry')
      return res.nodes
    },
    async requestTicket(request, options) {
      const res = await indexRequest(libp2p, peer, { op: IndexOp.REQUEST_TICKET, request }, options)
      if (res.op !== IndexOp.REQUEST_TICKET)
        throw new UnexpectedEndOfStreamError('Unexpected response', 'Retry')
      return res.ticket
    },
    async requestDownloadTicket(request, options) {
      const res = await indexRequest(
        libp2p,
        peer,
        { op: IndexOp.REQUEST_DOWNLOAD_TICKET, request },
        options,
      ).catch(olderPeer('download-ticket'))
      return res.op === IndexOp.REQUEST_DOWNLOAD_TICKET ? res.ticket : unexpected()
    },
    async submitReceipts(receipts, options) {
      const out: SubmitReceiptsResult = { accepted: 0, rejected: [] }
      let offset = 0
      for (const batch of chunks(receipts, MAX_RECEIPTS_PER_SUBMIT)) {
        const res = await indexRequest(
          libp2p,
          peer,
          { op: IndexOp.SUBMIT_RECEIPTS, receipts: batch },
          options,
        ).catch(olderPeer('submit-receipts'))
        if (res.op !== IndexOp.SUBMIT_RECEIPTS) unexpected()
        out.accepted += res.result.accepted
        for (const r of res.result.rejected) out.rejected.push({ index: r.index + offset, reason: r.reason })
        offset += batch.length
      }
      return out
    },
    async trafficStatus(account, options) {
      const res = await indexRequest(
        libp2p,
        peer,
        { op: IndexOp.TRAFFIC_STATUS, ...(account ? { account: addressToBytes(account) } : {}) },
        options,
      ).catch(olderPeer('traffic-status'))
      return res.op === IndexOp.TRAFFIC_STATUS ? res.status : unexpected()
    },
    async rewardProof(epoch, account, options) {
      const res = await indexRequest(
        libp2p,
        peer,
        { op: IndexOp.REWARD_PROOF, epoch, account: addressToBytes(account) },
        options,
      ).catch(olderPeer('reward-proof'))
      return res.op === IndexOp.REWARD_PROOF ? res.proof : unexpected()
    },
    async deleteManifest(request, options) {
      const res = await indexRequest(libp2p, peer, { op: IndexOp.DELETE_MANIFEST, request }, options)
      if (res.op !== IndexOp.DELETE_MANIFEST)
        throw new UnexpectedEndOfStreamError('Unexpected response', 'Retry')
      return res.dropped
    },
    async submitSelfReport(report, options) {
      const res = await indexRequest(libp2p, peer, { op: IndexOp.SUBMIT_SELF_REPORT, report }, options).catch(
        olderPeer('submit-self-report'),
      )
      return res.op === IndexOp.SUBMIT_SELF_REPORT ? res.result : unexpected()
    },
    async registerNodeOwner(binding, options) {
      const res = await indexRequest(
        libp2p,
        peer,
        { op: IndexOp.REGISTER_NODE_OWNER, binding },
        options,
      ).catch(olderPeer('register-node-owner'))
      return res.op === IndexOp.REGISTER_NODE_OWNER ? res.result : unexpected()
    },
  }
}
