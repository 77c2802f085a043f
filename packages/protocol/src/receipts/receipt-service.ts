/**
 * The provider's end of the receipt protocol: checks each receipt (network, provider, signature), keeps
 * the newest per (downloader, ticket, epoch) durably and credits the sending peer in the gate.
 */
import type { Connection, Libp2p, Stream } from '@libp2p/interface'
import {
  decodeReceipt,
  type EvmAddress,
  type TrafficReceipt,
  toEvmAddress,
  verifyReceipt,
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

/** Options and edges of {@link registerReceiptProtocol}. */
export interface ReceiptServiceInit {
  /** The network id receipts must be signed for. */
  network: number
  /** This provider's EVM address (its node key): receipts must name it. */
  provider: EvmAddress | string
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
}

/** Handle returned by {@link registerReceiptProtocol}. */
export interface ReceiptService {
  /** Checks and holds a batch from `peer`, as if it had arrived on a stream. */
  accept(receipts: readonly Uint8Array[], peer: string): Promise<ReceiptsReply>
  handle(stream: Stream, connection: Pick<Connection, 'remotePeer'>): Promise<void>
  unregister(): Promise<void>
}

/**
 * Serves `/stratos-edge/receipt/1.0.0`.
 *
 * @example
 * ```ts
 * const gate = createReceiptGate()
 * await registerReceiptProtocol(libp2p, { network: 137, provider: nodeKey.evmAddress, hold, gate })
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
  // One batch at a time: the held receipt of a key is read, compared and replaced without a race.
  let queue: Promise<unknown> = Promise.resolve()

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
    const key = heldReceiptKey(receipt)
    const held = await init.hold.get(key)
    const order = compareReceipts(receipt, held?.receipt)
    if (order === 'duplicate') return undefined
    if (order !== 'newer') return order
    const next: HeldReceipt = { receipt, bytes: bytes.slice(), state: 'pending' }
    await init.hold.put(key, next)
    const addedBytes = receipt.bytes - (held?.receipt.bytes ?? 0)
    init.gate?.credit(peer, addedBytes)
    init.onHeld?.(next, { peer, addedBytes })
    return undefined
  }

  const accept = (receipts: readonly Uint8Array[], peer: string): Promise<ReceiptsReply> => {
    const run = queue.then(async () => {
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
      const reply = await accept(decodeReceiptsMessage(body), connection.remotePeer.toString())
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
