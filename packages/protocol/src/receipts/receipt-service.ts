/**
 * The provider's end of the receipt protocol: checks each receipt (network, provider, signature) and
 * its download ticket (issued by a known meta service to the receipt's signer, for its file, covering its
 * bytes), keeps the newest per (downloader, ticket, epoch) durably and credits the sending peer in the
 * gate. A peer is pinned to the first downloader whose receipt it got credit for.
 */
import type { Connection, Libp2p, Stream } from '@libp2p/interface'
import {
  decodeReceipt,
  decodeTicket,
  type EvmAddress,
  type Ticket,
  type TrafficReceipt,
  toEvmAddress,
  toHex,
  verifyReceipt,
  verifyTicket,
} from '@stratos-edge/core'
import { FrameReader } from '../framing/frame-reader.js'
import { encodeFrame } from '../framing/frame-writer.js'
import { MAX_CONTROL_FRAME_BYTES, RECEIPT_PROTOCOL } from '../protocol-ids.js'
import { closeGracefully, closeWithError } from '../stream-utils.js'
import type { ReceiptGate } from './receipt-gate.js'
import { compareReceipts, type HeldReceipt, heldReceiptKey, type ReceiptHoldStore } from './receipt-hold.js'
import {
  decodeReceiptsMessage,
  encodeReceiptsReply,
  type ReceiptRejection,
  type ReceiptsReply,
} from './receipt-messages.js'

/** Tickets and peer pins kept at once; the oldest is forgotten first. */
const MAX_REMEMBERED = 4096

/** Options and edges of {@link registerReceiptProtocol}. */
export interface ReceiptServiceInit {
  /** The network id receipts must be signed for. */
  network: number
  /** This provider's EVM address (its node key): receipts must name it. */
  provider: EvmAddress | string
  /**
   * Meta service addresses whose download tickets count (asked at each batch: a light node learns its
   * meta service's address after it started). None known: every receipt is refused as `unknown-ticket`.
   */
  issuers: readonly string[] | (() => readonly string[])
  /** Receipts of a ticket that expired longer ago than this are refused; seconds, default 3600. */
  ticketGraceSeconds?: number
  /** Where held receipts live. */
  hold: ReceiptHoldStore
  /** Credited with each receipt's new bytes, per sending peer. */
  gate?: ReceiptGate
  /** A receipt replaced the held one of its key (or was the first). */
  onHeld?(held: HeldReceipt, context: { peer: string; addedBytes: number }): void
  /** Inactivity timeout of a stream, ms (default 10 000). */
  timeout?: number
  /** Accept receipts over relayed (limited) connections; default true (a few hundred bytes). */
  runOnLimitedConnection?: boolean
  /** Milliseconds since the Unix epoch; default `Date.now`. */
  now?: () => number
}

/** Handle returned by {@link registerReceiptProtocol}. */
export interface ReceiptService {
  /** Checks and holds a batch from `peer` (with the encoded tickets it is under), as if from a stream. */
  accept(
    receipts: readonly Uint8Array[],
    peer: string,
    tickets?: readonly Uint8Array[],
  ): Promise<ReceiptsReply>
  handle(stream: Stream, connection: Pick<Connection, 'remotePeer'>): Promise<void>
  unregister(): Promise<void>
}

/**
 * Serves `/stratos-edge/receipt/1.0.0`.
 *
 * @example
 * ```ts
 * const gate = createReceiptGate()
 * await registerReceiptProtocol(libp2p, { network: 137, provider: nodeKey.evmAddress, issuers: [meta], hold, gate })
 * ```
 */
export async function registerReceiptProtocol(
  libp2p: Pick<Libp2p, 'handle' | 'unhandle'>,
  init: ReceiptServiceInit,
): Promise<ReceiptService> {
  const service = createReceiptService(init)
  await libp2p.handle(RECEIPT_PROTOCOL, (s, c) => service.handle(s, c), {
    maxInboundStreams: 16,
    runOnLimitedConnection: init.runOnLimitedConnection ?? true,
  })
  return { ...service, unregister: () => libp2p.unhandle(RECEIPT_PROTOCOL) }
}

/** The receipt handler without registering it; see {@link registerReceiptProtocol}. */
export function createReceiptService(init: ReceiptServiceInit): Omit<ReceiptService, 'unregister'> {
  const provider = toEvmAddress(init.provider)
  const timeout = init.timeout ?? 10_000
  const grace = init.ticketGraceSeconds ?? 3600
  const now = init.now ?? Date.now
  const issuers = typeof init.issuers === 'function' ? init.issuers : () => init.issuers as readonly string[]
  // Tickets whose issuer signature was checked, by id; and the downloader each peer signs as.
  const tickets = new Map<string, Ticket>()
  // Tickets already verified, by their exact bytes and the issuers they were checked against: a
  // downloader sends its ticket with every batch, and its signature is checked once (an ecrecover each
  // time cost the provider's thread as much as the receipt's own check).
  const verified = new Map<string, Ticket>()
  const pins = new Map<string, EvmAddress>()
  const remember = <V>(map: Map<string, V>, key: string, value: V): void => {
    map.delete(key)
    map.set(key, value)
    if (map.size > MAX_REMEMBERED) map.delete(map.keys().next().value as string)
  }
  // One batch at a time: the held receipt of a key is read, compared and replaced without a race.
  let queue: Promise<unknown> = Promise.resolve()

  /** Verifies the tickets sent with a batch; the valid ones join the cache. */
  const learnTickets = (encoded: readonly Uint8Array[]): void => {
    const known = issuers()
    for (const bytes of encoded) {
      const key = `${known.join(',')}|${toHex(bytes)}`
      let t = verified.get(key)
      if (!t) {
        try {
          t = decodeTicket(bytes)
          // Expiry is judged per receipt, with a grace: the last receipts of a ticket arrive after it.
          verifyTicket(t, { issuers: known, network: init.network, now: t.expiresAt - 1, kind: 'download' })
        } catch {
          continue
        }
        remember(verified, key, t)
      }
      if (t.fileHash !== undefined) remember(tickets, t.id.toLowerCase(), t)
    }
  }

  const ticketRejection = (receipt: TrafficReceipt, peer: string): ReceiptRejection | undefined => {
    const t = tickets.get(receipt.ticketId.toLowerCase())
    if (!t) return 'unknown-ticket'
    if (t.expiresAt + grace < Math.floor(now() / 1000)) return 'invalid-ticket'
    const downloader = toEvmAddress(receipt.downloader)
    if (toEvmAddress(t.holder) !== downloader) return 'not-ticket-holder'
    if (t.fileHash?.toLowerCase() !== receipt.fileHash.toLowerCase()) return 'wrong-file'
    if (BigInt(receipt.bytes) > t.bytesAllowed) return 'over-claim'
    const pinned = pins.get(peer)
    if (pinned !== undefined && pinned !== downloader) return 'not-ticket-holder'
    return undefined
  }

  const check = async (bytes: Uint8Array, peer: string): Promise<ReceiptRejection | undefined> => {
    let receipt: TrafficReceipt
    try {
      receipt = decodeReceipt(bytes)
    } catch {
      return 'malformed'
    }
    if (receipt.network !== init.network) return 'wrong-network'
    if (toEvmAddress(receipt.provider) !== provider) return 'wrong-provider'
    try {
      verifyReceipt(receipt)
    } catch {
      return 'forged'
    }
    const rejection = ticketRejection(receipt, peer)
    if (rejection) return rejection
    remember(pins, peer, toEvmAddress(receipt.downloader))
    const key = heldReceiptKey(receipt)
    const held = await init.hold.get(key)
    const order = compareReceipts(receipt, held?.receipt)
    if (order === 'duplicate') return undefined
    if (order !== 'newer') return order
    const ticket = tickets.get(receipt.ticketId.toLowerCase()) as Ticket
    const next: HeldReceipt = {
      receipt,
      bytes: bytes.slice(),
      state: 'pending',
      ticketExpiresAt: ticket.expiresAt,
    }
    await init.hold.put(key, next)
    const addedBytes = receipt.bytes - (held?.receipt.bytes ?? 0)
    init.gate?.credit(peer, addedBytes)
    init.onHeld?.(next, { peer, addedBytes })
    return undefined
  }

  const accept = (
    receipts: readonly Uint8Array[],
    peer: string,
    encodedTickets: readonly Uint8Array[] = [],
  ): Promise<ReceiptsReply> => {
    const run = queue.then(async () => {
      learnTickets(encodedTickets)
      const reply: ReceiptsReply = { provider, network: init.network, accepted: 0, rejected: [] }
      for (const [index, bytes] of receipts.entries()) {
        const reason = await check(bytes, peer)
        if (reason) reply.rejected.push({ index, reason })
        else reply.accepted++
      }
      return reply
    })
    queue = run.catch(() => {})
    return run
  }

  async function handle(stream: Stream, connection: Pick<Connection, 'remotePeer'>): Promise<void> {
    const reader = new FrameReader(stream, { maxFrameBytes: MAX_CONTROL_FRAME_BYTES })
    try {
      const body = await reader.next({ signal: AbortSignal.timeout(timeout) })
      if (body === null) return await closeGracefully(stream)
      const message = decodeReceiptsMessage(body)
      const reply = await accept(message.receipts, connection.remotePeer.toString(), message.tickets)
      stream.send(encodeFrame(encodeReceiptsReply(reply)))
      reader.release()
      await closeGracefully(stream, timeout)
    } catch (err) {
      reader.release()
      await closeWithError(stream, err)
    }
  }

  return { accept, handle }
}
