import {
  DecodeError,
  DeleteExpiredError,
  InsufficientOzoneError,
  InvalidArgumentError,
  InvalidManifestError,
  InvalidTicketError,
  isErrorNamed,
  NotOwnerError,
  TicketBoundError,
  TicketExpiredError,
  TicketRequiredError,
  WrongNetworkError,
} from '@stratos-edge/core'
import { MessageReader } from './codec/message-reader.js'
import { MessageWriter } from './codec/message-writer.js'
import {
  FrameTooLargeError,
  NoRewardError,
  ProtocolTimeoutError,
  RateLimitedError,
  ReceiptsOverdueError,
  RemoteProtocolError,
  SliceHashMismatchError,
  SliceNotFoundError,
  StoreFullError,
  UnsupportedOperationError,
} from './errors.js'

/** Message type of the ERROR frame, shared by every protocol. */
export const MSG_ERROR = 0x7f

/** Error codes carried in ERROR frames. */
export const WireErrorCode = {
  NOT_FOUND: 1,
  MALFORMED: 2,
  TOO_LARGE: 3,
  HASH_MISMATCH: 4,
  STORE_FULL: 5,
  UNSUPPORTED: 6,
  INVALID: 7,
  INTERNAL: 8,
  TIMEOUT: 9,
  /** Ticket failures: each its own code, so the typed error survives the wire. */
  TICKET_REQUIRED: 10,
  INSUFFICIENT_OZONE: 11,
  TICKET_INVALID: 12,
  TICKET_EXPIRED: 13,
  WRONG_NETWORK: 14,
  TICKET_BOUND: 15,
  /** A rate limit: the frame carries how long to wait (ms, a varint after the message). */
  RATE_LIMITED: 16,
  /** No reward of the account in the epoch (REWARD_PROOF). */
  NO_REWARD: 17,
  /** The downloader owes receipts past the provider's grace. */
  RECEIPTS_OVERDUE: 18,
  /** Manifest deletes (DELETE_MANIFEST): from 24, leaving room for more ticket and traffic codes. */
  NOT_OWNER: 24,
  DELETE_EXPIRED: 25,
} as const
export type WireErrorCode = (typeof WireErrorCode)[keyof typeof WireErrorCode]

const MAX_ERROR_MESSAGE = 1024
/** Longest wait a RATE_LIMITED frame may ask for, ms (an hour). */
const MAX_RETRY_AFTER_MS = 3_600_000

/** The wire code for a local error (by `name`). */
export function wireCodeOf(err: unknown): WireErrorCode {
  if (isErrorNamed(err, 'SliceNotFoundError')) return WireErrorCode.NOT_FOUND
  if (isErrorNamed(err, 'DecodeError') || isErrorNamed(err, 'UnsupportedVersionError'))
    return WireErrorCode.MALFORMED
  if (isErrorNamed(err, 'FrameTooLargeError')) return WireErrorCode.TOO_LARGE
  if (isErrorNamed(err, 'SliceHashMismatchError')) return WireErrorCode.HASH_MISMATCH
  if (isErrorNamed(err, 'StoreFullError')) return WireErrorCode.STORE_FULL
  if (isErrorNamed(err, 'UnsupportedOperationError')) return WireErrorCode.UNSUPPORTED
  if (isErrorNamed(err, 'ProtocolTimeoutError')) return WireErrorCode.TIMEOUT
  if (isErrorNamed(err, 'TicketRequiredError')) return WireErrorCode.TICKET_REQUIRED
  if (isErrorNamed(err, 'InsufficientOzoneError')) return WireErrorCode.INSUFFICIENT_OZONE
  if (isErrorNamed(err, 'InvalidTicketError')) return WireErrorCode.TICKET_INVALID
  if (isErrorNamed(err, 'TicketExpiredError')) return WireErrorCode.TICKET_EXPIRED
  if (isErrorNamed(err, 'WrongNetworkError')) return WireErrorCode.WRONG_NETWORK
  if (isErrorNamed(err, 'TicketBoundError')) return WireErrorCode.TICKET_BOUND
  if (isErrorNamed(err, 'RateLimitedError')) return WireErrorCode.RATE_LIMITED
  if (isErrorNamed(err, 'NoRewardError')) return WireErrorCode.NO_REWARD
  if (isErrorNamed(err, 'NotOwnerError')) return WireErrorCode.NOT_OWNER
  if (isErrorNamed(err, 'DeleteExpiredError')) return WireErrorCode.DELETE_EXPIRED
  if (isErrorNamed(err, 'ReceiptsOverdueError')) return WireErrorCode.RECEIPTS_OVERDUE
  if (
    isErrorNamed(err, 'InvalidArgumentError') ||
    isErrorNamed(err, 'InvalidManifestError') ||
    isErrorNamed(err, 'InvalidSignatureError') ||
    isErrorNamed(err, 'InvalidSliceHashError') ||
    isErrorNamed(err, 'InvalidFileHashError')
  ) {
    return WireErrorCode.INVALID
  }
  return WireErrorCode.INTERNAL
}

/** Encodes an ERROR frame body for `err` (its short message, truncated). */
export function encodeErrorMessage(err: unknown): Uint8Array {
  const e = err as {
    shortMessage?: string
    message?: string
    retryAfterMs?: number
    owner?: unknown
    shortfallBytes?: unknown
  }
  const text = String(e?.shortMessage ?? e?.message ?? err).slice(0, 512)
  const code = wireCodeOf(err)
  const w = new MessageWriter().u8(MSG_ERROR).u8(code).string(text)
  // Fields after the message: older readers stop after the message, so adding them breaks none.
  // A rate limit says how long to wait; an ozone shortfall says whose and how many bytes.
  if (code === WireErrorCode.RATE_LIMITED) w.varint(Math.max(0, Math.ceil(e.retryAfterMs ?? 1000)))
  if (code === WireErrorCode.INSUFFICIENT_OZONE) {
    w.string(typeof e.owner === 'string' ? e.owner.slice(0, 128) : '')
    w.string(typeof e.shortfallBytes === 'bigint' ? e.shortfallBytes.toString() : '')
  }
  return w.finish()
}

/** The owner and shortfall after an INSUFFICIENT_OZONE message, when the sender wrote them. */
function ozoneShortfallFields(r: MessageReader): { owner?: string; shortfallBytes?: bigint } {
  if (r.remaining === 0) return {}
  const owner = r.string('owner', 128)
  const short = r.string('shortfall', 40)
  return {
    ...(owner ? { owner } : {}),
    ...(/^\d+$/.test(short) ? { shortfallBytes: BigInt(short) } : {}),
  }
}

/** Decodes an ERROR frame body (type byte included) into the typed error it stands for. */
export function decodeErrorMessage(body: Uint8Array, peer = 'peer'): Error {
  const r: MessageReader = new MessageReader(body, 'error message')
  r.u8()
  const code = r.u8()
  const text = r.string('message', MAX_ERROR_MESSAGE)
  const msg = `${peer} replied: ${text}`
  switch (code) {
    case WireErrorCode.NOT_FOUND:
      return new SliceNotFoundError(msg, 'Ask another provider')
    case WireErrorCode.MALFORMED:
      return new DecodeError(msg, 'The request was malformed')
    case WireErrorCode.TOO_LARGE:
      return new FrameTooLargeError(msg, 'Send smaller messages')
    case WireErrorCode.HASH_MISMATCH:
      return new SliceHashMismatchError(msg, 'The slice bytes do not match its hash; re-read the file')
    case WireErrorCode.STORE_FULL:
      return new StoreFullError(msg, 'Ask the index for another target')
    case WireErrorCode.UNSUPPORTED:
      return new UnsupportedOperationError(msg, 'Ask a node that runs the meta service')
    case WireErrorCode.TIMEOUT:
      return new ProtocolTimeoutError(
        msg,
        'The peer waited too long for the rest of the message; send it faster',
      )
    case WireErrorCode.TICKET_REQUIRED:
      return new TicketRequiredError(msg, 'Ask the meta service for an upload ticket first')
    case WireErrorCode.INSUFFICIENT_OZONE:
      return new InsufficientOzoneError(
        msg,
        'Prepay STOS to StoragePayments on Polygon for the owner',
        ozoneShortfallFields(r),
      )
    case WireErrorCode.TICKET_INVALID:
      return new InvalidTicketError(msg, 'Ask a known meta service for a ticket')
    case WireErrorCode.TICKET_EXPIRED:
      return new TicketExpiredError(msg, 'Ask the meta service for a new ticket')
    case WireErrorCode.WRONG_NETWORK:
      return new WrongNetworkError(msg, 'Ask this network’s meta service for a ticket')
    case WireErrorCode.TICKET_BOUND:
      return new TicketBoundError(msg, 'Ask for a new ticket: one ticket serves one file')
    case WireErrorCode.RATE_LIMITED:
      return new RateLimitedError(msg, r.remaining > 0 ? r.varint('retry after', MAX_RETRY_AFTER_MS) : 1000)
    case WireErrorCode.NO_REWARD:
      return new NoRewardError(
        msg,
        'Ask again once the epoch is settled; an account with no traffic has none',
      )
    case WireErrorCode.NOT_OWNER:
      return new NotOwnerError(msg, 'Only the owner can delete its manifest: sign with the owner’s wallet')
    case WireErrorCode.DELETE_EXPIRED:
      return new DeleteExpiredError(msg, 'Sign a new delete (and check the clock)')
    case WireErrorCode.RECEIPTS_OVERDUE:
      return new ReceiptsOverdueError(msg, 'Sign and send a receipt to this provider, then ask again')
    case WireErrorCode.INVALID:
      return isInvalidManifest(text)
        ? new InvalidManifestError(msg, 'Check the manifest')
        : new InvalidArgumentError(msg, 'Check the request')
    default:
      return new RemoteProtocolError(code, msg, 'Retry later or ask another peer')
  }
}

function isInvalidManifest(text: string): boolean {
  return /manifest/i.test(text)
}
