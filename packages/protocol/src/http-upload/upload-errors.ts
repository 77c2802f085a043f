/**
 * How a failed slice upload travels over HTTP: the node answers a typed error with a status and a JSON
 * body naming it; the uploader turns that body back into the same error class.
 */
import {
  DecodeError,
  InsufficientOzoneError,
  InvalidArgumentError,
  InvalidTicketError,
  isErrorNamed,
  TicketBoundError,
  TicketExpiredError,
  TicketRequiredError,
  WrongNetworkError,
} from '@stratos-edge/core'
import {
  ProtocolTimeoutError,
  SliceHashMismatchError,
  SliceNotFoundError,
  StagingFullError,
  StoreFullError,
  UploadBusyError,
} from '../errors.js'

/** The JSON body of a failed upload. */
export interface SliceUploadErrorBody {
  /** `owner` and `shortfallBytes` (decimal) come with an `InsufficientOzoneError`. */
  error: { name: string; message: string; owner?: string; shortfallBytes?: string }
}

/** The HTTP status for an upload that failed with `err`. */
export function sliceUploadStatusOf(err: unknown): number {
  if (isErrorNamed(err, 'DecodeError')) return 400
  if (isErrorNamed(err, 'InvalidArgumentError')) return 413
  if (isErrorNamed(err, 'SliceHashMismatchError')) return 422
  if (isErrorNamed(err, 'StoreFullError')) return 507
  if (isErrorNamed(err, 'ProtocolTimeoutError')) return 408
  if (isErrorNamed(err, 'StagingFullError')) return 503
  if (isErrorNamed(err, 'UploadBusyError')) return 503
  if (isErrorNamed(err, 'RateLimitedError')) return 429
  // No ticket, or one used up: payment required. A ticket that is no good: forbidden.
  if (isErrorNamed(err, 'TicketRequiredError') || isErrorNamed(err, 'InsufficientOzoneError')) return 402
  if (
    isErrorNamed(err, 'InvalidTicketError') ||
    isErrorNamed(err, 'TicketExpiredError') ||
    isErrorNamed(err, 'WrongNetworkError') ||
    isErrorNamed(err, 'TicketBoundError')
  )
    return 403
  return 500
}

/** The JSON body for an upload that failed with `err`. */
export function sliceUploadErrorBody(err: unknown): SliceUploadErrorBody {
  const known = sliceUploadStatusOf(err) !== 500
  const e = err as { name?: string; message?: string; owner?: unknown; shortfallBytes?: unknown }
  return {
    error: {
      name: known ? String(e.name) : 'InternalError',
      message: known ? String(e.message).slice(0, 1024) : 'The node failed to store the slice',
      // An ozone shortfall says whose, and how many bytes (a decimal string: JSON has no bigint).
      ...(known && typeof e.owner === 'string' ? { owner: e.owner } : {}),
      ...(known && typeof e.shortfallBytes === 'bigint'
        ? { shortfallBytes: e.shortfallBytes.toString() }
        : {}),
    },
  }
}

/** The error classes an upload's answer is turned back into, by the `name` the node sent. */
export const UPLOAD_ERROR_CLASSES = {
  StagingFullError,
  UploadBusyError,
  SliceHashMismatchError,
  StoreFullError,
  SliceNotFoundError,
  ProtocolTimeoutError,
  DecodeError,
  InvalidArgumentError,
  TicketRequiredError,
  InsufficientOzoneError,
  InvalidTicketError,
  TicketExpiredError,
  WrongNetworkError,
  TicketBoundError,
} as const
