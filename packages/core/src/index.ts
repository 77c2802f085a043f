/**
 * @packageDocumentation
 * `@stratos-edge/core`: the formats every Stratos Edge node, widget and contract client shares.
 * Pure TypeScript with no I/O, so it runs unchanged in browsers, workers and Node.
 *
 * Ids follow Stratos SDS byte for byte (file hash, slice hash, `sdm://` URIs, `st1…` addresses), so a
 * file uploaded here has the same id it would have on the Stratos network.
 *
 * @example
 * ```ts
 * import { computeFileHash, keyPairFromMnemonic, formatSdmUri, sliceFile } from '@stratos-edge/core'
 *
 * const owner = keyPairFromMnemonic('abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about')
 * const hash = computeFileHash(new TextEncoder().encode('hello stratos'))
 * console.log(formatSdmUri(owner.address, hash))
 *
 * // Stream a large Blob: constant memory, file hash and slice hashes in one pass.
 * const sliced = await sliceFile(new Blob([new Uint8Array(10 << 20)]), { onSlice: (s) => console.log(s.number, s.size) })
 * console.log(sliced.fileHash, sliced.slices.length)
 * ```
 */

export { base32hex } from './encoding/base32hex-api.js'
export { bytesEqual, concatBytes, fromHex, toHex } from './encoding/bytes.js'
export {
  AbortedError,
  DecodeError,
  DeleteExpiredError,
  defineErrorClass,
  FileVerificationError,
  InsufficientOzoneError,
  type InsufficientOzoneErrorOptions,
  InvalidAddressError,
  InvalidArgumentError,
  InvalidFileHashError,
  InvalidKeyError,
  InvalidManifestError,
  InvalidReceiptError,
  InvalidSdmUriError,
  InvalidSignatureError,
  InvalidSliceHashError,
  InvalidTicketError,
  isErrorNamed,
  NotOwnerError,
  RewardTreeError,
  SlicingError,
  StratosEdgeError,
  type StratosEdgeErrorOptions,
  TicketBoundError,
  TicketExpiredError,
  TicketRequiredError,
  UnsupportedVersionError,
  WrongNetworkError,
} from './errors.js'
export { CODEC_RAW, CODEC_SDS, CODEC_VIDEO } from './ids/cid.js'
export {
  asFileHash,
  computeFileHash,
  type FileHash,
  type FileHashOptions,
  fileHashFromBytes,
  fileHashFromDigest,
  fileHashToBytes,
  isFileHash,
  type ParsedFileHash,
  parseFileHash,
} from './ids/file-hash.js'
export { createKeccakStream, type KeccakStream, keccak256 } from './ids/keccak.js'
export { sdsMultihash } from './ids/multihash.js'
export { formatSdmUri, parseSdmUri, type SdmUri } from './ids/sdm-uri.js'
export {
  asSliceHash,
  computeSliceHash,
  createSliceHasher,
  hashSlice,
  isSliceHash,
  parseSliceHash,
  type SliceHash,
  type SliceHasher,
  sliceHashFromBytes,
  sliceHashFromInnerDigest,
  sliceHashToBytes,
  sliceNumberPrefix,
} from './ids/slice-hash.js'
export {
  addressToBytes,
  type EvmAddress,
  isAddress,
  STRATOS_ADDRESS_PREFIX,
  type StratosAddress,
  sameAddress,
  toChecksumAddress,
  toEvmAddress,
  toStratosAddress,
} from './keys/address.js'
export {
  generateKeyPair,
  generateMnemonic,
  type KeyPair,
  keyPairFromMnemonic,
  keyPairFromPrivateKey,
  privateKeyToHex,
  publicKeyToAddressBytes,
  STRATOS_HD_PATH,
} from './keys/keys.js'
export {
  attachManifestSignature,
  type CreateManifestInit,
  createManifest,
  type DecodeManifestOptions,
  decodeManifest,
  encodeManifest,
  MANIFEST_VERSION,
  MAX_MANIFEST_SLICES,
  type Manifest,
  type ManifestEncryption,
  type ManifestSignatureScheme,
  type ManifestSlice,
  manifestDigest,
  manifestPersonalMessage,
  manifestTypedData,
  signManifest,
  type UnsignedManifest,
  verifyManifest,
} from './manifest/manifest.js'
export {
  decodeManifestDelete,
  encodeManifestDelete,
  MANIFEST_DELETE_AHEAD_S,
  MANIFEST_DELETE_WINDOW_S,
  MAX_MANIFEST_DELETE_BYTES,
  type ManifestDelete,
  type ManifestDeleteFields,
  manifestDeleteTypedData,
  signManifestDelete,
  verifyManifestDelete,
} from './manifest/manifest-delete.js'
export { networkDomain, STRATOS_EDGE_DOMAIN } from './signatures/domain.js'
export {
  assertSignedBy,
  recoverAddress,
  type SignatureBytes,
  signatureToBytes,
  signatureToHex,
  signDigest,
} from './signatures/ecdsa.js'
export {
  hashPersonalMessage,
  recoverPersonalMessageSigner,
  signPersonalMessage,
} from './signatures/personal-sign.js'
export {
  encodeType,
  hashDomain,
  hashStruct,
  hashTypedData,
  recoverTypedDataSigner,
  signTypedData,
  type TypedData,
  type TypedDataDomain,
  type TypedDataField,
  type TypedDataTypes,
  toEip1193TypedData,
} from './signatures/typed-data.js'
export {
  type Eip1193Provider,
  eip1193Signer,
  privateKeySigner,
  type TypedDataSigner,
} from './signatures/typed-data-signer.js'
export { assertFileDigest, createFileHashCheck, type FileHashCheck } from './slicing/file-hash-check.js'
export { type SliceInput, toChunks } from './slicing/input.js'
export {
  assertSliceSize,
  DEFAULT_SLICE_SIZE,
  MAX_SLICE_SIZE,
  MIN_SLICE_SIZE,
  sliceCount,
  sliceRange,
} from './slicing/slice-layout.js'
export {
  type HashFileOptions,
  hashFile,
  type SlicedFile,
  type SliceFileCallbackOptions,
  type SliceFileOptions,
  type SliceInfo,
  type SlicePiece,
  sliceFile,
  slicePieces,
} from './slicing/slicer.js'
export {
  DOWNLOAD_TICKET_REQUEST_BYTES,
  type DownloadTicketRequest,
  type DownloadTicketRequestFields,
  type DownloadTicketRequestInit,
  decodeDownloadTicketRequest,
  downloadTicketIdOf,
  downloadTicketRequestTypedData,
  encodeDownloadTicketRequest,
  requestedOwnerOf,
  signDownloadTicketRequest,
  verifyDownloadTicketRequest,
} from './traffic/download-ticket-request.js'
export { DEFAULT_EPOCH_MS, type EpochClock, epochAt, epochBounds } from './traffic/epoch.js'
export {
  decodeNodeOwnerBinding,
  encodeNodeOwnerBinding,
  NODE_OWNER_BINDING_BYTES,
  type NodeOwnerBinding,
  type NodeOwnerBindingFields,
  nodeOwnerBindingSigned,
  nodeOwnerBindingTypedData,
  signNodeOwnerBinding,
} from './traffic/node-owner-binding.js'
export {
  applyPrepay,
  FIRST_PHASE_SPLIT,
  type OzoneMarket,
  ozoneForPrepay,
  ozonePrice,
  PRICE_SCALE,
  type RewardSplit,
  shareByVolume,
  splitTrafficReward,
  trafficReward,
} from './traffic/ozone.js'
export {
  decodeReceipt,
  encodeReceipt,
  RECEIPT_BYTES,
  type ReceiptFields,
  receiptTypedData,
  signReceipt,
  type TrafficReceipt,
  verifyReceipt,
} from './traffic/receipt.js'
export {
  buildRewardTree,
  hashPair,
  REWARD_LEAF_TYPES,
  type Reward,
  type RewardTree,
  type RewardTreeInit,
  rewardLeafHash,
  verifyRewardProof,
} from './traffic/reward-tree.js'
export {
  decodeTicket,
  encodeTicket,
  type IssueTicketInit,
  issueTicket,
  type Ticket,
  type TicketFields,
  type TicketKind,
  ticketTypedData,
  type VerifyTicketOptions,
  verifyTicket,
} from './traffic/ticket.js'
export {
  decodeTicketRequest,
  encodeTicketRequest,
  signTicketRequest,
  TICKET_REQUEST_BYTES,
  type TicketRequest,
  type TicketRequestFields,
  type TicketRequestInit,
  ticketIdOf,
  ticketRequestTypedData,
  verifyTicketRequest,
} from './traffic/ticket-request.js'
export {
  type BuildVolumeReportOptions,
  buildVolumeReport,
  decodeVolumeReport,
  encodeVolumeReport,
  MAX_REPORT_ENTRIES,
  type RejectedReceipt,
  type VolumeEntry,
  type VolumeReport,
  type VolumeReportResult,
  volumeReportDigest,
} from './traffic/volume-report.js'
