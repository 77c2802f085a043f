import {
  DecodeError,
  InsufficientOzoneError,
  InvalidArgumentError,
  InvalidManifestError,
  InvalidTicketError,
  isErrorNamed,
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
  /** No reward of the account in the epoch (REWARD_PROOF). */
  NO_REWARD: 16,
} as const
export type WireErrorCode = (typeof WireErrorCode)[keyof typeof WireErrorCode]

const MAX_ERROR_MESSAGE = 1024

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
  if (isErrorNamed(err, 'NoRewardError')) return WireErrorCode.NO_REWARD
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
  const e = err as { shortMessage?: string; message?: string }
  const text = String(e?.shortMessage ?? e?.message ?? err).slice(0, 512)
  return new MessageWriter().u8(MSG_ERROR).u8(wireCodeOf(err)).string(text).finish()
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
      return new InsufficientOzoneError(msg, 'Prepay STOS to StoragePayments on Polygon for the owner')
    case WireErrorCode.TICKET_INVALID:
      return new InvalidTicketError(msg, 'Ask a known meta service for a ticket')
    case WireErrorCode.TICKET_EXPIRED:
      return new TicketExpiredError(msg, 'Ask the meta service for a new ticket')
    case WireErrorCode.WRONG_NETWORK:
      return new WrongNetworkError(msg, 'Ask this network’s meta service for a ticket')
    case WireErrorCode.TICKET_BOUND:
      return new TicketBoundError(msg, 'Ask for a new ticket: one ticket serves one file')
    case WireErrorCode.NO_REWARD:
      return new NoRewardError(
        msg,
        'Ask again once the epoch is settled; an account with no traffic has none',
      )
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
