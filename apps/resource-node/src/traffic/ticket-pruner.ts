import { DEFAULT_EPOCH_MS, type EpochClock, epochAt, epochBounds } from '@stratos-edge/core'
import type { Logger } from '../logger.js'
import type { PruneResult, SettlementStore } from './settlement-store.js'

/** Default most tickets whose nonces and receipts one prune drops. */
export const DEFAULT_PRUNE_BATCH = 1000

/** Options of {@link createTicketPruner}. */
export interface TicketPrunerInit {
  /** The settlement's epoch clock. */
  readonly clock: EpochClock
  /** How long after an epoch ends its receipts are still taken, ms; default a fifth of an epoch. */
  readonly lateWindowMs?: number
  /** Most tickets dropped per call (default {@link DEFAULT_PRUNE_BATCH}; 0: never prune). */
  readonly batch?: number
}

/** The edges of {@link createTicketPruner}. */
export interface TicketPrunerComponents {
  readonly store: Pick<SettlementStore, 'pruneTickets'>
  /** Current time in ms. */
  readonly now: () => number
  readonly logger: Logger
}

/**
 * Keeps the settlement's used-nonce table from growing forever: each call drops the nonces, held
 * receipts and usage of a bounded batch of tickets that can back no more traffic.
 *
 * Why no replay can count afterwards: a receipt of an epoch before the oldest one still open is refused
 * as `late`; in that epoch or after, a ticket that expired by the epoch's start is refused as
 * `invalid-ticket` (the ticket is checked at its receipt's epoch start). So a ticket expired by the
 * oldest open epoch's start needs no nonce to refuse a replay. The store also keeps every ticket with a
 * receipt held in an epoch not yet settled.
 *
 * @example
 * ```ts
 * const prune = createTicketPruner({ clock, lateWindowMs }, { store, now: Date.now, logger })
 * await prune() // { tickets, nonces, receipts }
 * ```
 */
export function createTicketPruner(
  init: TicketPrunerInit,
  components: TicketPrunerComponents,
): () => Promise<PruneResult> {
  const epochMs = init.clock.epochMs ?? DEFAULT_EPOCH_MS
  const lateWindowMs = init.lateWindowMs ?? Math.floor(epochMs / 5)
  const batch = init.batch ?? DEFAULT_PRUNE_BATCH
  return async () => {
    if (batch <= 0) return { tickets: 0, nonces: 0, receipts: 0 }
    const at = components.now()
    const oldestOpen = epochAt(Math.max(init.clock.genesisMs, at - lateWindowMs), init.clock)
    const expiredBy = Math.floor(epochBounds(oldestOpen, init.clock).start / 1000)
    const pruned = await components.store.pruneTickets(expiredBy, batch)
    if (pruned.tickets > 0) components.logger.info('expired tickets pruned', { ...pruned })
    return pruned
  }
}
