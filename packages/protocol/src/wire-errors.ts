import { DecodeError, InvalidArgumentError, InvalidManifestError, isErrorNamed } from '@stratos-edge/core'
import { MessageReader } from './codec/message-reader.js'
import { MessageWriter } from './codec/message-writer.js'
import {
  FrameTooLargeError,
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
