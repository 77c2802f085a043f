/**
 * Typed errors of the wire protocols. Check `err.name` (it survives the worker boundary); malformed input
 * also throws core's `DecodeError`.
 */
import { defineErrorClass, StratosEdgeError, type StratosEdgeErrorOptions } from '@stratos-edge/core'

/** A frame's declared length is over the limit of its protocol; the stream is closed. */
export class FrameTooLargeError extends defineErrorClass('FrameTooLargeError') {}
/** Received slice bytes do not hash to the expected slice hash; they were neither stored nor passed on. */
export class SliceHashMismatchError extends defineErrorClass('SliceHashMismatchError') {}
/** The provider does not hold the requested slice (or manifest). Ask another provider. */
export class SliceNotFoundError extends defineErrorClass('SliceNotFoundError') {}
/** The stream ended before a complete message arrived. */
export class UnexpectedEndOfStreamError extends defineErrorClass('UnexpectedEndOfStreamError') {}
/** A request or transfer took longer than its timeout. */
export class ProtocolTimeoutError extends defineErrorClass('ProtocolTimeoutError') {}
/** The store has no room for the slice within its disk budget. */
export class StoreFullError extends defineErrorClass('StoreFullError') {}
/** A node has no room left to stage slices whose hashes are not known yet; send them once they are. */
export class StagingFullError extends defineErrorClass('StagingFullError') {}
/**
 * A node's upload memory stayed taken (by other clients' uploads) for as long as an upload may wait its
 * turn; nothing was read. Try again later or upload to another node.
 */
export class UploadBusyError extends defineErrorClass('UploadBusyError') {}
/**
 * The meta service holds no reward for the account in the epoch: the epoch is not settled yet, or the
 * account earned nothing in it.
 */
export class NoRewardError extends defineErrorClass('NoRewardError') {}
/** The remote does not implement the requested operation (e.g. a light node asked for placement). */
export class UnsupportedOperationError extends defineErrorClass('UnsupportedOperationError') {}
/** The remote reported an error this code has no more specific class for. `code` is the wire code. */
export class RemoteProtocolError extends StratosEdgeError {
  static override readonly errorName = 'RemoteProtocolError'
  override name = 'RemoteProtocolError'
  /** The wire error code the remote sent. */
  readonly code: number

  constructor(code: number, shortMessage: string, advice?: string, options?: StratosEdgeErrorOptions) {
    super(shortMessage, advice, options)
    this.code = code
  }
}

/**
 * A fetch stopped part way. `partial` holds the bytes received so far (from offset 0): pass it back as
 * `partial` to {@link fetchSlice} (same or another provider) to resume instead of starting over.
 */
export class SliceFetchInterruptedError extends StratosEdgeError {
  static override readonly errorName = 'SliceFetchInterruptedError'
  override name = 'SliceFetchInterruptedError'
  /** Bytes of the slice received so far, starting at offset 0. */
  readonly partial: Uint8Array

  constructor(shortMessage: string, partial: Uint8Array, options?: StratosEdgeErrorOptions) {
    super(shortMessage, 'Call fetchSlice again with { partial } to resume from where it stopped', options)
    this.partial = partial
  }
}

/**
 * An HTTP slice upload failed in a way no more specific class covers: the endpoint was unreachable, or
 * answered with an unexpected status. `status` is the HTTP status (0 when there was no response).
 */
export class HttpUploadError extends StratosEdgeError {
  static override readonly errorName = 'HttpUploadError'
  override name = 'HttpUploadError'
  /** The HTTP status, or 0 when the request got no response. */
  readonly status: number

  constructor(status: number, shortMessage: string, advice?: string, options?: StratosEdgeErrorOptions) {
    super(shortMessage, advice, options)
    this.status = status
  }
}
