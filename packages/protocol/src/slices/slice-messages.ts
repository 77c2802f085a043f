import {
  type FileHash,
  fileHashFromBytes,
  fileHashToBytes,
  MAX_SLICE_SIZE,
  type SliceHash,
  sliceHashFromBytes,
  sliceHashToBytes,
} from '@stratos-edge/core'
import { MessageReader } from '../codec/message-reader.js'
import { MessageWriter } from '../codec/message-writer.js'
import { varintLength, writeVarint } from '../codec/varint.js'
import { MAX_FORWARD_TARGETS, MAX_MULTIADDRS } from '../protocol-ids.js'

/** Message types on the slice protocols (first byte of each frame body). */
export const SliceMessageType = {
  FETCH_REQUEST: 0x01,
  FETCH_RESPONSE: 0x02,
  DATA: 0x03,
  PUSH_HEADER: 0x11,
  PUSH_ACK: 0x12,
} as const

const MAX_ID_BYTES = 64
const MAX_PEER_ID = 128
const MAX_ADDR = 512

function fileHashField(r: MessageReader): FileHash {
  const b = r.bytes('file hash', MAX_ID_BYTES)
  try {
    return fileHashFromBytes(b)
  } catch {
    r.fail('invalid file hash')
  }
}

function sliceHashField(r: MessageReader): SliceHash {
  const b = r.bytes('slice hash', MAX_ID_BYTES)
  try {
    return sliceHashFromBytes(b)
  } catch {
    r.fail('invalid slice hash')
  }
}

/** A peer to reach: its id and the addresses to dial. */
export interface PeerAddress {
  peerId: string
  multiaddrs: string[]
}

/** FETCH_REQUEST: which slice, from which byte. */
export interface FetchRequest {
  hash: SliceHash
  offset: number
}

export function encodeFetchRequest(m: FetchRequest): Uint8Array {
  return new MessageWriter()
    .u8(SliceMessageType.FETCH_REQUEST)
    .bytes(sliceHashToBytes(m.hash))
    .varint(m.offset)
    .finish()
}

export function decodeFetchRequest(body: Uint8Array): FetchRequest {
  const r: MessageReader = new MessageReader(body, 'fetch request')
  if (r.u8() !== SliceMessageType.FETCH_REQUEST) r.fail('wrong message type')
  const hash = sliceHashField(r)
  const offset = r.varint('offset', MAX_SLICE_SIZE)
  r.end()
  return { hash, offset }
}

/** FETCH_RESPONSE: what the slice is; DATA frames with bytes [offset, size) follow. */
export interface FetchResponse {
  number: number
  fileHash: FileHash
  size: number
  offset: number
}

export function encodeFetchResponse(m: FetchResponse): Uint8Array {
  return new MessageWriter()
    .u8(SliceMessageType.FETCH_RESPONSE)
    .varint(m.number)
    .bytes(fileHashToBytes(m.fileHash))
    .varint(m.size)
    .varint(m.offset)
    .finish()
}

export function decodeFetchResponse(body: Uint8Array): FetchResponse {
  const r: MessageReader = new MessageReader(body, 'fetch response')
  if (r.u8() !== SliceMessageType.FETCH_RESPONSE) r.fail('wrong message type')
  const number = r.varint('slice number', 2 ** 40)
  if (number < 1) r.fail('slice number 0')
  const fileHash = fileHashField(r)
  const size = r.varint('size', MAX_SLICE_SIZE)
  const offset = r.varint('offset', size)
  r.end()
  return { number, fileHash, size, offset }
}

/** The prefix (length varint + type byte) of a DATA frame carrying `pieceLength` bytes. */
export function dataFramePrefix(pieceLength: number): Uint8Array {
  const bodyLength = pieceLength + 1
  const out = new Uint8Array(varintLength(bodyLength) + 1)
  const o = writeVarint(bodyLength, out, 0)
  out[o] = SliceMessageType.DATA
  return out
}

/** PUSH_HEADER: one slice follows in DATA frames totalling `size` bytes. */
export interface PushHeader {
  hash: SliceHash
  fileHash: FileHash
  number: number
  size: number
  /**
   * Peers the receiver should replicate the slice to after storing it (node-to-node), so a browser
   * sends each slice once. Empty: store only.
   */
  forward: PeerAddress[]
  /** The upload ticket that pays for the slice (core's `encodeTicket`), last and optional. */
  ticket?: Uint8Array
}

/** Largest encoded ticket carried in a push header. */
const MAX_PUSH_TICKET_BYTES = 512

export function encodePushHeader(m: PushHeader): Uint8Array {
  const w = new MessageWriter()
    .u8(SliceMessageType.PUSH_HEADER)
    .bytes(sliceHashToBytes(m.hash))
    .bytes(fileHashToBytes(m.fileHash))
    .varint(m.number)
    .varint(m.size)
    .varint(m.forward.length)
  for (const p of m.forward) encodePeerAddress(w, p)
  if (m.ticket) w.bytes(m.ticket)
  return w.finish()
}

export function decodePushHeader(body: Uint8Array): PushHeader {
  const r: MessageReader = new MessageReader(body, 'push header')
  if (r.u8() !== SliceMessageType.PUSH_HEADER) r.fail('wrong message type')
  const hash = sliceHashField(r)
  const fileHash = fileHashField(r)
  const number = r.varint('slice number', 2 ** 40)
  if (number < 1) r.fail('slice number 0')
  const size = r.varint('size', MAX_SLICE_SIZE)
  const n = r.varint('forward count', MAX_FORWARD_TARGETS)
  const forward: PeerAddress[] = []
  for (let i = 0; i < n; i++) forward.push(decodePeerAddress(r))
  const ticket = r.remaining > 0 ? r.bytes('ticket', MAX_PUSH_TICKET_BYTES) : undefined
  r.end()
  return { hash, fileHash, number, size, forward, ...(ticket ? { ticket } : {}) }
}

/** PUSH_ACK: the slice is durably stored. */
export function encodePushAck(hash: SliceHash): Uint8Array {
  return new MessageWriter().u8(SliceMessageType.PUSH_ACK).bytes(sliceHashToBytes(hash)).finish()
}

export function decodePushAck(body: Uint8Array): SliceHash {
  const r: MessageReader = new MessageReader(body, 'push ack')
  if (r.u8() !== SliceMessageType.PUSH_ACK) r.fail('wrong message type')
  const hash = sliceHashField(r)
  r.end()
  return hash
}

/** Appends a peer id and its multiaddrs. */
export function encodePeerAddress(w: MessageWriter, p: PeerAddress): void {
  w.string(p.peerId).varint(p.multiaddrs.length)
  for (const a of p.multiaddrs) w.string(a)
}

/** Reads a peer id and its multiaddrs, bounded. */
export function decodePeerAddress(r: MessageReader): PeerAddress {
  const peerId = r.string('peer id', MAX_PEER_ID)
  const n = r.varint('multiaddr count', MAX_MULTIADDRS)
  const multiaddrs: string[] = []
  for (let i = 0; i < n; i++) multiaddrs.push(r.string('multiaddr', MAX_ADDR))
  return { peerId, multiaddrs }
}
