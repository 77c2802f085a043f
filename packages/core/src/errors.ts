/**
 * Typed errors. Every failure has its own class with a stable `name`; check `err.name`, not
 * `instanceof`, because class identity is lost across the comlink/worker boundary while `name` survives.
 */

/** Options shared by every Stratos Edge error. */
export interface StratosEdgeErrorOptions {
  /** The lower-level error that caused this one. */
  cause?: unknown
}

/**
 * Base class of every error thrown by Stratos Edge packages.
 *
 * @example
 * ```ts
 * try { parseFileHash('nope') } catch (err) {
 *   if ((err as Error).name === 'InvalidFileHashError') console.log('ask the user for a valid file hash')
 * }
 * ```
 */
export class StratosEdgeError extends Error {
  static readonly errorName: string = 'StratosEdgeError'
  override name = 'StratosEdgeError'
  /** A one-line summary without the advice part; the `message` adds what to do. */
  readonly shortMessage: string

  constructor(shortMessage: string, advice?: string, options: StratosEdgeErrorOptions = {}) {
    super(advice ? `${shortMessage}. ${advice}` : shortMessage, { cause: options.cause })
    this.shortMessage = shortMessage
  }
}

/**
 * Makes a named subclass of {@link StratosEdgeError}, for packages that add their own failures.
 *
 * @example
 * ```ts
 * export class SliceNotFoundError extends defineErrorClass('SliceNotFoundError') {}
 * ```
 */
export function defineErrorClass(name: string): typeof StratosEdgeError {
  const cls = class extends StratosEdgeError {
    static override readonly errorName = name
    override name = name
  }
  Object.defineProperty(cls, 'name', { value: name })
  return cls
}

/** A file hash string or its bytes are not a valid SDS file hash (CIDv1, keccak-256/20, base32hex). */
export class InvalidFileHashError extends defineErrorClass('InvalidFileHashError') {}
/** A slice hash string or its bytes are not a valid SDS slice hash. */
export class InvalidSliceHashError extends defineErrorClass('InvalidSliceHashError') {}
/** An `sdm://<owner>/<file hash>` URI is malformed. */
export class InvalidSdmUriError extends defineErrorClass('InvalidSdmUriError') {}
/** An `st1…` or `0x…` address is malformed or has a bad checksum. */
export class InvalidAddressError extends defineErrorClass('InvalidAddressError') {}
/** A private key, public key, mnemonic or derivation path is invalid. */
export class InvalidKeyError extends defineErrorClass('InvalidKeyError') {}
/** A signature is malformed or was not made by the expected signer. */
export class InvalidSignatureError extends defineErrorClass('InvalidSignatureError') {}
/** A binary record (manifest, ticket, receipt, report) could not be decoded: truncated, garbage or too large. */
export class DecodeError extends defineErrorClass('DecodeError') {}
/** A binary record uses a format version this code does not understand. */
export class UnsupportedVersionError extends defineErrorClass('UnsupportedVersionError') {}
/** A manifest decoded but is inconsistent (sizes, slice count) or its owner signature does not verify. */
export class InvalidManifestError extends defineErrorClass('InvalidManifestError') {}
/** A ticket is expired, of the wrong kind, or over its byte allowance. */
export class InvalidTicketError extends defineErrorClass('InvalidTicketError') {}
/** A ticket whose time is up: ask the meta service for a new one. */
export class TicketExpiredError extends defineErrorClass('TicketExpiredError') {}
/** A ticket, ticket request or receipt signed for another network (another chain id in its domain). */
export class WrongNetworkError extends defineErrorClass('WrongNetworkError') {}
/** A write came without a ticket: ask the meta service for an upload ticket first. */
export class TicketRequiredError extends defineErrorClass('TicketRequiredError') {}
/** An upload ticket already bound to another file: a ticket serves one file. */
export class TicketBoundError extends defineErrorClass('TicketBoundError') {}
/** Options of {@link InsufficientOzoneError}: who is short, and by how much. */
export interface InsufficientOzoneErrorOptions extends StratosEdgeErrorOptions {
  /** The account whose ozone is short (`st1…` or `0x…`), when known. */
  owner?: string | undefined
  /** Bytes the owner's ozone (or the ticket) does not cover, when known. */
  shortfallBytes?: bigint | undefined
}

/**
 * Not enough ozone: an owner's balance, or what is left of a ticket, is short of the bytes asked. Carries
 * `owner` and `shortfallBytes` when the thrower knew them, so callers need not read the message.
 *
 * @example
 * ```ts
 * const err = new InsufficientOzoneError('st1… is 4096 bytes short', 'Prepay STOS', { owner: 'st1…', shortfallBytes: 4096n })
 * err.shortfallBytes // 4096n
 * ```
 */
export class InsufficientOzoneError extends defineErrorClass('InsufficientOzoneError') {
  readonly owner: string | undefined
  readonly shortfallBytes: bigint | undefined

  constructor(shortMessage: string, advice?: string, options: InsufficientOzoneErrorOptions = {}) {
    super(shortMessage, advice, options)
    this.owner = options.owner
    this.shortfallBytes = options.shortfallBytes
  }
}
/** A traffic receipt is inconsistent with its ticket or epoch. */
export class InvalidReceiptError extends defineErrorClass('InvalidReceiptError') {}
/** Slicing input was of an unsupported type or produced an inconsistent result. */
export class SlicingError extends defineErrorClass('SlicingError') {}
/** A caller passed an argument outside its allowed range. */
export class InvalidArgumentError extends defineErrorClass('InvalidArgumentError') {}
/** A reward tree was built from invalid leaves, or a proof was requested for a missing leaf. */
export class RewardTreeError extends defineErrorClass('RewardTreeError') {}
/** An operation was cancelled through its AbortSignal. */
export class AbortedError extends defineErrorClass('AbortedError') {}
/** A whole file's bytes do not hash to the file hash they were asked for. */
export class FileVerificationError extends defineErrorClass('FileVerificationError') {}

/** A signed request (a manifest delete) made by someone other than the owner it names. */
export class NotOwnerError extends defineErrorClass('NotOwnerError') {}
/** A signed manifest delete too far from the verifier's clock: sign a new one. */
export class DeleteExpiredError extends defineErrorClass('DeleteExpiredError') {}

/** True when `err` is an Error whose `name` equals `name`; works across workers where `instanceof` does not. */
export function isErrorNamed(err: unknown, name: string): err is Error {
  return typeof err === 'object' && err !== null && (err as { name?: unknown }).name === name
}
