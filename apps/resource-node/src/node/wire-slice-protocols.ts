import type { Libp2p } from '@libp2p/interface'
import {
  type PeerAddress,
  registerSliceProtocols,
  type SliceRecord,
  type SliceService,
} from '@stratos-edge/protocol'
import type { PeerRateLimit } from '../gateway/rate-limit-peers.js'
import type { Logger } from '../logger.js'
import type { SliceHashPool } from '../store/hash-pool.js'
import type { StoreWithRoom } from '../store/store-with-room.js'
import type { MetaAccess } from './meta-access.js'
import type { NodeMetrics } from './metrics.js'
import type { NodeTickets } from './node-tickets.js'
import type { ReceiptExchange } from './receipt-exchange.js'

/** Edges of {@link wireSliceProtocols}. */
export interface WireSliceProtocolsComponents {
  libp2p: Libp2p
  room: Pick<StoreWithRoom, 'sliceStore'>
  hashPool: Pick<SliceHashPool, 'hashSlice'>
  /** The per-peer rate limits. */
  limits: PeerRateLimit
  /** With a network id: readers pay with receipts. */
  receipts: ReceiptExchange | undefined
  /** With tickets: every push needs one, unless a registered resource node copies a slice on. */
  tickets: NodeTickets | undefined
  meta: Pick<MetaAccess, 'forwardTargets'>
  metrics: Pick<NodeMetrics, 'slicesServed' | 'bytesServed' | 'streamErrors'>
  logger: Logger
  /** A new slice was stored (counted, announced and copied on by the caller, with its ticket). */
  arrived(slice: SliceRecord, forward: PeerAddress[], ticket?: Uint8Array): void
}

/**
 * Registers the slice protocols (fetch and push) with the node's admission: rate limits per peer,
 * receipts for reads, tickets for writes.
 *
 * @example
 * ```ts
 * const sliceService = await wireSliceProtocols({ streamTimeoutMs }, { libp2p, room, hashPool, limits, ... })
 * ```
 */
export function wireSliceProtocols(
  init: { streamTimeoutMs?: number },
  components: WireSliceProtocolsComponents,
): Promise<SliceService> {
  const { libp2p, limits, receipts: paid, tickets, meta, metrics, logger } = components
  return registerSliceProtocols(libp2p, {
    store: components.room.sliceStore,
    hashSlice: components.hashPool.hashSlice,
    admitFetch: limits.fetch,
    ...(paid ? { admitReceipts: paid.admitFetch } : {}),
    ...(tickets
      ? {
          admitPush: async (header, from) => {
            await limits.push(header, from)
            // A registered resource node copying on a slice that was paid for where it came in: its
            // ticket is checked and keeps the file from eviction here too until the manifest comes,
            // but its bytes are not counted again (the uploader may fail over here and resend them).
            const peer = [{ peerId: from.toString(), multiaddrs: [] }]
            if ((await meta.forwardTargets(peer)).length > 0) {
              if (!header.ticket) return
              try {
                tickets.gate.note(header.ticket, header.fileHash)
              } catch (error) {
                // One this node refuses does not refuse a registered node's copy.
                logger.debug('copy with a ticket this node refuses', { peer: peer[0]?.peerId, error })
              }
              return
            }
            // A slice held already costs nothing: the ticket is checked, no bytes counted.
            const held = await components.room.sliceStore.has(header.hash)
            const use = { bytes: held ? 0 : header.size, fileHash: header.fileHash }
            const admission = tickets.gate.admit(header.ticket, use) // none: TicketRequiredError
            // Told once the slice's write has settled: bytes not stored, or stored by another push
            // first, go back to the ticket (the uploader sends a failed slice again).
            return ({ stored, isNew }) => {
              if (!stored || !isNew) admission.refund()
            }
          },
        }
      : { admitPush: limits.push }),
    timeout: init.streamTimeoutMs ?? 30_000,
    // A slice held already was counted and copied on when it first arrived.
    onSliceStored: (slice, { forward, isNew, ticket }) => {
      if (isNew) components.arrived(slice, forward, ticket)
    },
    onSliceServed: ({ bytes, peer }) => {
      paid?.served(peer, bytes)
      metrics.slicesServed.inc()
      metrics.bytesServed.inc(bytes)
    },
    onStreamError: (error, { protocol, peer }) => {
      metrics.streamErrors.inc({ protocol, error: error.name })
      logger.warn('stream closed with error', { protocol, peer: peer.toString(), error })
    },
  })
}
