/**
 * @packageDocumentation
 * `@stratos-edge/nft-widget`: `<stratos-nft-uploader>`, a drop-in element that takes a creator's media and
 * OpenSea metadata, stores both on Stratos Edge through the page's browser light node, and hands back a
 * tokenURI to mint with. The light node (libp2p in a worker) loads on first use, and is shared by every
 * uploader on the page.
 *
 * @example
 * ```ts
 * import { defineNftUploader } from '@stratos-edge/nft-widget'
 * defineNftUploader()
 * // <stratos-nft-uploader resource-nodes="/dns4/node.example/tcp/443/wss/p2p/12D3KooW…"></stratos-nft-uploader>
 * document.querySelector('stratos-nft-uploader')!
 *   .addEventListener('stratos-nft-uploaded', (e) => mint((e as CustomEvent).detail.tokenURI))
 * ```
 */

export { formatBytes, parseByteSize } from './byte-size.js'
export {
  FileTooLargeError,
  FileTypeNotAllowedError,
  FileUploadError,
  MetadataInvalidError,
  NetworkUnavailableError,
  OzoneShortError,
  PrepayFailedError,
  UploadCancelledError,
  WalletNotFoundError,
  WalletRejectedError,
  WalletSigningError,
  WidgetConfigError,
} from './errors.js'
export { checkHostLimits, type HostLimits, parseAccept } from './host-limits.js'
export { type MediaKind, mediaKindOf, mimeTypeOf } from './media-kind.js'
export {
  buildMetadata,
  DISPLAY_TYPES,
  type DisplayType,
  erc1155Id,
  type NftAttribute,
  type NftMetadata,
  type NftMetadataInput,
  substituteErc1155Id,
} from './metadata.js'
export { type MountNftUploaderOptions, mountNftUploader } from './mount.js'
export {
  type MediaFile,
  type MediaRole,
  type NftUploadInit,
  type NftUploadResult,
  type TokenUriMode,
  uploadNft,
} from './nft-upload.js'
export {
  formatStos,
  type PrepayOfferInit,
  type PrepayReceipt,
  parseStos,
  uploadWithPrepayOffer,
} from './ozone-offer.js'
export {
  type LightNodeLoader,
  setLightNodeLoader,
  sharedLightNode,
  sharedLightNodeCount,
  type UploaderNode,
} from './shared-light-node.js'
export {
  defineNftUploader,
  NftUploaderElement,
  type PrepayOfferDetail,
  type UploaderErrorDetail,
  type UploaderState,
} from './uploader-element.js'
export { resolveWallet, type WalletSettings } from './wallet.js'
