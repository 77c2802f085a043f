/** The downloader's end of the receipt protocol. */
import { UnexpectedEndOfStreamError } from '../errors.js'
import { FrameReader } from '../framing/frame-reader.js'
import { encodeFrame } from '../framing/frame-writer.js'
import { MAX_CONTROL_FRAME_BYTES, RECEIPT_PROTOCOL } from '../protocol-ids.js'
import type { ClientOptions, DialComponents, DialTarget } from '../slices/slice-client.js'
import { closeGracefully, withTimeout } from '../stream-utils.js'
import { decodeErrorMessage, MSG_ERROR } from '../wire-errors.js'
import { decodeReceiptsReply, encodeReceiptsMessage, type ReceiptsReply } from './receipt-messages.js'

/**
 * Sends encoded receipts (core's `encodeReceipt`, at most 64) to a provider and returns its verdict.
 * With no receipts it only learns the provider's address and network, which a receipt must name.
 * `options.tickets` are the encoded download tickets (core's `encodeTicket`) the receipts are under: a
 * provider credits no receipt without its ticket.
 *
 * @example
 * ```ts
 * const { provider } = await sendReceipts(libp2p, peerId, [])
 * const reply = await sendReceipts(libp2p, peerId, [encodeReceipt(signReceipt({ ...fields, provider }, key))], {
 *   tickets: [encodeTicket(ticket)],
 * })
 * ```
 */
export async function sendReceipts(
  libp2p: DialComponents,
  peer: DialTarget,
  receipts: readonly Uint8Array[],
  options: ClientOptions & { tickets?: readonly Uint8Array[] } = {},
): Promise<ReceiptsReply> {
  const signal = withTimeout(options.signal, options.timeout ?? 10_000)
  const stream = await libp2p.dialProtocol(peer, RECEIPT_PROTOCOL, {
    signal,
    runOnLimitedConnection: options.runOnLimitedConnection ?? true,
  })
  const reader = new FrameReader(stream, { maxFrameBytes: MAX_CONTROL_FRAME_BYTES })
  try {
    stream.send(encodeFrame(encodeReceiptsMessage(receipts, options.tickets ?? [])))
    const body = await reader.next({ signal })
    if (body === null) throw new UnexpectedEndOfStreamError('Provider closed without a reply', 'Retry')
    if (body[0] === MSG_ERROR) throw decodeErrorMessage(body, 'Provider')
    const reply = decodeReceiptsReply(body)
    reader.release()
    void closeGracefully(stream, 2000)
    return reply
  } catch (err) {
    reader.release()
    if (stream.status === 'open') stream.abort(err as Error)
    throw err
  }
}
