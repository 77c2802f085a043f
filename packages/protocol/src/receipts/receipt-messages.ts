/** Frames of the receipt protocol: a batch of receipts one way, the provider's verdict the other. */
import { addressToBytes, type EvmAddress, RECEIPT_BYTES, toChecksumAddress } from '@stratos-edge/core'
import { MessageReader } from '../codec/message-reader.js'
import { MessageWriter } from '../codec/message-writer.js'

/** Message types on the receipt protocol (first byte of each frame body). */
export const ReceiptMessageType = {
  RECEIPTS: 0x21,
  RECEIPTS_REPLY: 0x22,
} as const

/** Most receipts in one RECEIPTS frame (one per provider and ticket is the usual load). */
export const MAX_RECEIPTS_PER_MESSAGE = 64
/** Most download tickets in one RECEIPTS frame (the tickets its receipts are under). */
export const MAX_TICKETS_PER_MESSAGE = 8
/** Longest encoded ticket accepted (core's `encodeTicket` is about 230 bytes). */
const MAX_TICKET_BYTES = 512
/** Longest rejection reason carried back. */
const MAX_REASON_BYTES = 64

/** Why a provider did not hold a receipt (the meta service's rules use the same words where they overlap). */
export type ReceiptRejection =
  | 'malformed'
  | 'wrong-network'
  | 'wrong-provider'
  | 'forged'
  | 'stale'
  | 'not-cumulative'
  | 'unknown-ticket'
  | 'invalid-ticket'
  | 'not-ticket-holder'
  | 'wrong-file'
  | 'over-claim'

/** The provider's answer to a RECEIPTS frame. */
export interface ReceiptsReply {
  /** The provider's EVM address: the one receipts for it must name. */
  provider: EvmAddress
  /** The network id it serves (0: none; it holds nothing then). */
  network: number
  /** Receipts now held (a duplicate of the held one counts as accepted). */
  accepted: number
  rejected: { index: number; reason: ReceiptRejection }[]
}

/** A RECEIPTS frame: the receipts and the download tickets (core's `encodeTicket`) they are under. */
export interface ReceiptsMessage {
  receipts: Uint8Array[]
  /** The provider credits a receipt only with its ticket, issued by a known meta service to its signer. */
  tickets: Uint8Array[]
}

/**
 * RECEIPTS: encoded core receipts (`encodeReceipt`), possibly none (to learn the provider's address),
 * then the encoded download tickets they are under.
 */
export function encodeReceiptsMessage(
  receipts: readonly Uint8Array[],
  tickets: readonly Uint8Array[] = [],
): Uint8Array {
  const w = new MessageWriter().u8(ReceiptMessageType.RECEIPTS).varint(receipts.length)
  for (const r of receipts) w.bytes(r)
  w.varint(tickets.length)
  for (const t of tickets) w.bytes(t)
  return w.finish()
}

export function decodeReceiptsMessage(body: Uint8Array): ReceiptsMessage {
  const r: MessageReader = new MessageReader(body, 'receipts')
  if (r.u8() !== ReceiptMessageType.RECEIPTS) r.fail('wrong message type')
  const n = r.varint('receipt count', MAX_RECEIPTS_PER_MESSAGE)
  const receipts: Uint8Array[] = []
  for (let i = 0; i < n; i++) receipts.push(r.bytes('receipt', RECEIPT_BYTES))
  const m = r.varint('ticket count', MAX_TICKETS_PER_MESSAGE)
  const tickets: Uint8Array[] = []
  for (let i = 0; i < m; i++) tickets.push(r.bytes('ticket', MAX_TICKET_BYTES))
  r.end()
  return { receipts, tickets }
}

export function encodeReceiptsReply(m: ReceiptsReply): Uint8Array {
  const w = new MessageWriter()
    .u8(ReceiptMessageType.RECEIPTS_REPLY)
    .raw(addressToBytes(m.provider))
    .varint(m.network)
    .varint(m.accepted)
    .varint(m.rejected.length)
  for (const x of m.rejected) w.varint(x.index).string(x.reason)
  return w.finish()
}

export function decodeReceiptsReply(body: Uint8Array): ReceiptsReply {
  const r: MessageReader = new MessageReader(body, 'receipts reply')
  if (r.u8() !== ReceiptMessageType.RECEIPTS_REPLY) r.fail('wrong message type')
  const provider = toChecksumAddress(r.fixed('provider', 20))
  const network = r.varint('network')
  const accepted = r.varint('accepted', MAX_RECEIPTS_PER_MESSAGE)
  const n = r.varint('rejected count', MAX_RECEIPTS_PER_MESSAGE)
  const rejected: ReceiptsReply['rejected'] = []
  for (let i = 0; i < n; i++) {
    const index = r.varint('index', MAX_RECEIPTS_PER_MESSAGE)
    rejected.push({ index, reason: r.string('reason', MAX_REASON_BYTES) as ReceiptRejection })
  }
  r.end()
  return { provider, network, accepted, rejected }
}
