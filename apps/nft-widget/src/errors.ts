/**
 * Errors of the NFT uploader. Each failure has its own class with a stable `name` (check `err.name`);
 * every message is written for the creator, and says what to do next.
 */
import { defineErrorClass } from '@stratos-edge/core'

/** The file is larger than the host allows; nothing was uploaded. */
export class FileTooLargeError extends defineErrorClass('FileTooLargeError') {}
/** The file's type is not one the host accepts; nothing was uploaded. */
export class FileTypeNotAllowedError extends defineErrorClass('FileTypeNotAllowedError') {}
/** A metadata field is missing or malformed (say, a name left empty, or a colour that is not hex). */
export class MetadataInvalidError extends defineErrorClass('MetadataInvalidError') {}
/** The creator cancelled the upload. */
export class UploadCancelledError extends defineErrorClass('UploadCancelledError') {}
/** The storage network could not be reached (the light node did not start). */
export class NetworkUnavailableError extends defineErrorClass('NetworkUnavailableError') {}
/** A file could not be stored on the network. */
export class FileUploadError extends defineErrorClass('FileUploadError') {}
/** The widget is missing a setting the host must give (e.g. `resource-nodes`). */
export class WidgetConfigError extends defineErrorClass('WidgetConfigError') {}
/** `wallet="injected"` is set, but the page has no EIP-1193 wallet (`window.ethereum`). */
export class WalletNotFoundError extends defineErrorClass('WalletNotFoundError') {}
/** The creator refused to sign in their wallet; nothing was published. Retrying asks again. */
export class WalletRejectedError extends defineErrorClass('WalletRejectedError') {}
/** The wallet could not sign (locked, no account, method not supported); nothing was published. */
export class WalletSigningError extends defineErrorClass('WalletSigningError') {}
/**
 * The owner's prepaid ozone does not cover the upload; nothing was sent. The widget offers to prepay STOS
 * on Polygon (see `owner` and `shortfallBytes`).
 */
export class OzoneShortError extends defineErrorClass('OzoneShortError') {
  /** The account whose ozone is short (`st1…`), when the network said. */
  owner: string | undefined
  /** How many bytes the prepaid ozone is short of, when the network said. */
  shortfallBytes: bigint | undefined
}
/** Prepaying STOS on Polygon failed (refused in the wallet, not enough STOS or gas, wrong chain…). */
export class PrepayFailedError extends defineErrorClass('PrepayFailedError') {}
