/**
 * @packageDocumentation
 * `@stratos-edge/protocol`: the libp2p wire protocols every Stratos Edge node speaks, browser light nodes
 * and Node resource nodes alike. No Node-only imports: it runs in browsers, workers and Node.
 *
 * - `/stratos-edge/slice-fetch/1.0.0`: fetch one slice, in ≤ 256 KiB pieces, resumable from an offset;
 *   verified against its SDS slice hash before it is returned.
 * - `/stratos-edge/slice-push/1.0.0`: push slices, several pipelined per stream; the receiver verifies
 *   each while it arrives, stores it durably, then acknowledges; it may replicate it onward (`forward`).
 * - `/stratos-edge/index/1.0.0`: announce/withdraw held slices, look up providers (nearest first), ask
 *   for placement, store and read manifests, list the owners who signed manifests of a file; Proof of
 *   Traffic: download tickets, receipts, traffic status, reward proofs.
 * - `/stratos-edge/receipt/1.0.0`: a downloader hands a provider its newest cumulative traffic receipts;
 *   the provider keeps the newest per (downloader, ticket, epoch) and, with a receipt gate, stops serving
 *   a downloader that owes receipts past a grace (`ReceiptsOverdueError`).
 * - `POST /v1/slices` (HTTP, {@link uploadSlice}): the push protocol's contract over plain HTTP, for
 *   browsers, whose native TLS and HTTP stacks are several times faster than noise over WebSockets;
 *   staged uploads ({@link stageSlice}, {@link commitStagedUpload}) send slices while the file is still
 *   being hashed.
 *
 * Every message is a length-prefixed (unsigned LEB128) binary frame whose first byte is its type; every
 * frame and field has a limit, and violations are typed errors (`FrameTooLargeError`, core's
 * `DecodeError`, `SliceHashMismatchError`, ...). The offending stream is closed; nothing else is.
 *
 * @example
 * ```ts
 * import { registerSliceProtocols, fetchSlice, openSlicePush, createIndexClient } from '@stratos-edge/protocol'
 *
 * await registerSliceProtocols(libp2p, { store }) // serve fetches and accept pushes
 * const index = createIndexClient(libp2p, metaPeerId)
 * const [target, replica] = await index.place({ fileHash, size, replicas: 2 })
 * const session = await openSlicePush(libp2p, peerIdFromString(target.peerId))
 * await session.push(slice, { forward: [replica] })
 * await session.close()
 * const again = await fetchSlice(libp2p, peerIdFromString(target.peerId), slice.hash)
 * ```
 */

export { MessageReader } from './codec/message-reader.js'
export { MessageWriter } from './codec/message-writer.js'
export { encodeVarint, readVarint, varintLength } from './codec/varint.js'
export {
  FrameTooLargeError,
  HttpUploadError,
  NoRewardError,
  ProtocolTimeoutError,
  RateLimitedError,
  ReceiptsOverdueError,
  RemoteProtocolError,
  SliceFetchInterruptedError,
  SliceHashMismatchError,
  SliceNotFoundError,
  StagingFullError,
  StoreFullError,
  UnexpectedEndOfStreamError,
  UnsupportedOperationError,
  UploadBusyError,
} from './errors.js'
export { FrameReader, type FrameReaderOptions, type ReadFrameOptions } from './framing/frame-reader.js'
export { encodeFrame, framePrefix, framesToList, sendWithBackpressure } from './framing/frame-writer.js'
export {
  fetchHeldSlices,
  HELD_SLICES_PATH,
  type HeldSlices,
  MAX_HELD_QUERY_BYTES,
  parseHeldSlicesQuery,
} from './http-upload/held-slices.js'
export {
  findHttpUrl,
  httpUrlToMultiaddr,
  isLibp2pAddress,
  multiaddrToHttpUrl,
} from './http-upload/http-address.js'
export {
  MAX_FORWARD_HEADER_BYTES,
  MAX_RATE_LIMIT_WAIT_MS,
  parseSliceUploadHeaders,
  RATE_LIMIT_RETRIES,
  retryAfterMs,
  SLICE_UPLOAD_CORS_HEADERS,
  SLICE_UPLOAD_PATH,
  type SliceUploadErrorBody,
  SliceUploadHeader,
  type SliceUploadReceipt,
  type SliceUploadRequest,
  sliceUploadErrorBody,
  sliceUploadHeaders,
  sliceUploadStatusOf,
  ticketHeader,
  UPLOAD_TIMEOUT_BASE_MS,
  UPLOAD_TIMEOUT_BYTES_PER_SECOND,
  type UploadSliceOptions,
  uploadSlice,
  uploadTimeoutFor,
} from './http-upload/http-slice-upload.js'
export {
  type CommitRequest,
  type CommitResult,
  commitPathUploadId,
  commitStagedUpload,
  MAX_COMMIT_BYTES,
  newUploadId,
  parseCommitRequest,
  parseStageHeaders,
  STAGED_UPLOAD_PATH,
  type StageRequest,
  stageSlice,
} from './http-upload/staged-upload.js'
export { uploadBodyLength } from './http-upload/upload-body-length.js'
export { createIndexClient, type IndexClient, indexRequest } from './index-protocol/index-client.js'
export {
  type Announcement,
  decodeIndexRequest,
  decodeIndexResponse,
  encodeIndexRequest,
  encodeIndexResponse,
  IndexOp,
  type IndexRequest,
  type IndexResponse,
  indexOpName,
  MAX_RESOURCE_NODE_QUERY,
  type NodeKind,
  type PlacementRequest,
  type ProviderRecord,
} from './index-protocol/index-messages.js'
export {
  createIndexHandler,
  type IndexBackend,
  type IndexRequestContext,
  type IndexServiceInit,
  registerIndexProtocol,
} from './index-protocol/index-service.js'
export {
  MAX_NODE_OWNER_BINDING_BYTES,
  NodeOwnerIndexOp,
  type NodeOwnerIndexRequest,
  type NodeOwnerIndexResponse,
  type RegisterNodeOwnerResult,
} from './index-protocol/node-owner-messages.js'
export type { RecordOutcome } from './index-protocol/outcome-messages.js'
export {
  MAX_SELF_REPORT_BYTES,
  SelfReportIndexOp,
  type SelfReportIndexRequest,
  type SelfReportIndexResponse,
  type SubmitSelfReportResult,
} from './index-protocol/self-report-messages.js'
export {
  MAX_RECEIPTS_PER_SUBMIT,
  MAX_REWARD_PROOF_LENGTH,
  type RewardProof,
  type SubmitReceiptsResult,
  type TrafficEpochStatus,
  TrafficIndexOp,
  type TrafficIndexRequest,
  type TrafficIndexResponse,
  type TrafficStatus,
} from './index-protocol/traffic-messages.js'
export {
  INDEX_PROTOCOL,
  MAX_CONTROL_FRAME_BYTES,
  MAX_FORWARD_TARGETS,
  MAX_HASHES_PER_MESSAGE,
  MAX_INDEX_FRAME_BYTES,
  MAX_MANIFEST_OWNERS,
  MAX_MULTIADDRS,
  MAX_PIECE_BYTES,
  MAX_SLICE_FRAME_BYTES,
  RECEIPT_PROTOCOL,
  SLICE_FETCH_PROTOCOL,
  SLICE_PUSH_PROTOCOL,
} from './protocol-ids.js'
export { sendReceipts } from './receipts/receipt-client.js'
export { createReceiptGate, type ReceiptGate, type ReceiptGateInit } from './receipts/receipt-gate.js'
export {
  compareReceipts,
  createMemoryReceiptHold,
  type HeldReceipt,
  heldReceiptKey,
  type ReceiptHoldStore,
} from './receipts/receipt-hold.js'
export {
  decodeReceiptsMessage,
  decodeReceiptsReply,
  encodeReceiptsMessage,
  encodeReceiptsReply,
  MAX_RECEIPTS_PER_MESSAGE,
  ReceiptMessageType,
  type ReceiptRejection,
  type ReceiptsReply,
} from './receipts/receipt-messages.js'
export {
  createReceiptService,
  type ReceiptService,
  type ReceiptServiceInit,
  registerReceiptProtocol,
} from './receipts/receipt-service.js'
export {
  createReceiptSubmitter,
  type ReceiptSubmitter,
  type ReceiptSubmitterComponents,
  type ReceiptSubmitterInit,
} from './receipts/receipt-submitter.js'
export { createMemorySliceStore, type MemorySliceStoreInit } from './slices/memory-slice-store.js'
export {
  type ClientOptions,
  type DialComponents,
  type DialTarget,
  type FetchSliceOptions,
  fetchSlice,
  openSlicePush,
  type PushOneOptions,
  pushSlice,
  type SlicePushOptions,
  type SlicePushSession,
} from './slices/slice-client.js'
export { verifySlice } from './slices/slice-hasher.js'
export {
  dataFramePrefix,
  decodeFetchRequest,
  decodeFetchResponse,
  decodePushAck,
  decodePushHeader,
  encodeFetchRequest,
  encodeFetchResponse,
  encodePushAck,
  encodePushHeader,
  type FetchRequest,
  type FetchResponse,
  type PeerAddress,
  type PushHeader,
  SliceMessageType,
} from './slices/slice-messages.js'
export {
  createSliceService,
  type PushSettle,
  registerSliceProtocols,
  type SliceService,
  type SliceServiceEvents,
  type SliceServiceInit,
} from './slices/slice-service.js'
export type {
  ManifestStore,
  SliceGetOptions,
  SliceInfo,
  SlicePutOptions,
  SliceRecord,
  SliceStore,
} from './slices/slice-store.js'
export { closeGracefully, closeWithError, withTimeout } from './stream-utils.js'
export {
  decodeErrorMessage,
  encodeErrorMessage,
  MSG_ERROR,
  WireErrorCode,
  wireCodeOf,
} from './wire-errors.js'
