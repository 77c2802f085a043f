import type { EvmAddress } from '@stratos-edge/core'
import type { HeldSelfReportEntry } from './self-report-rules.js'

/** The latest receipt held for one (epoch, downloader, provider, ticket): all that settlement needs. */
export interface HeldReceipt {
  readonly epoch: number
  readonly downloader: EvmAddress
  readonly provider: EvmAddress
  /** Lower-case 32-byte hex. */
  readonly ticketId: string
  /** The file owner whose ozone pays for it (the ticket's owner). */
  readonly owner: EvmAddress
  /** Bytes the ticket allows over its whole life. */
  readonly bytesAllowed: bigint
  /** Cumulative bytes this epoch from this provider under this ticket. */
  readonly bytes: bigint
  readonly nonce: bigint
  /** The downloader's signature, hex: tells a resubmitted receipt from a replayed nonce. */
  readonly signature: string
  /**
   * Unix seconds its ticket expires at: kept per ticket so that {@link SettlementStore.pruneTickets}
   * can drop the rows of tickets that can back no more traffic. Without it the rows are kept.
   */
  readonly ticketExpiresAt?: number
}

/** What {@link SettlementStore.pruneTickets} dropped. */
export interface PruneResult {
  /** Tickets whose rows were dropped. */
  readonly tickets: number
  /** Used-nonce rows dropped. */
  readonly nonces: number
  /** Held receipts (of settled epochs) dropped. */
  readonly receipts: number
}

/** What the store made of one receipt, in input order. */
export type HoldOutcome = 'accepted' | 'duplicate' | 'replayed' | 'stale' | 'not-cumulative' | 'late'

/** Key of an owner's charge for an epoch's receipted traffic (backed by its download tickets). */
export const trafficChargeKey = (epoch: number, owner: string): string => `traffic:${epoch}:${owner}`

/** Key of an owner's charge for an epoch's gateway self-reports (no ticket backs them). */
export const selfReportChargeKey = (epoch: number, owner: string): string => `self:${epoch}:${owner}`

/** True for a {@link selfReportChargeKey}: such a charge lowers the balance only, never a reservation. */
export const isSelfReportCharge = (key: string): boolean => key.startsWith('self:')

/**
 * One owner's ozone charge for an epoch's traffic; `key` makes charging it idempotent and tells its kind
 * ({@link trafficChargeKey} or {@link selfReportChargeKey}).
 */
export interface TrafficCharge {
  readonly key: string
  readonly epoch: number
  readonly owner: EvmAddress
  readonly ozone: bigint
}

/** A settled epoch, as saved once and never changed except for `postedTx`. */
export interface SettledEpoch {
  readonly epoch: number
  /** Core's encoded volume report, hex. */
  readonly report: string
  /** Keccak-256 of the encoded report. */
  readonly reportDigest: string
  /** Reward Merkle root; undefined when the epoch had no reward to pay. */
  readonly root: string | undefined
  /** Sum of the rewards (STOS wei). */
  readonly total: bigint
  readonly rewards: readonly { account: EvmAddress; amount: bigint }[]
  readonly charges: readonly TrafficCharge[]
  /** Bytes counted per ticket this epoch (after the ticket caps). */
  readonly ticketBytes: ReadonlyMap<string, bigint>
  /** Transaction that posted the root to `TrafficRewards`. */
  readonly postedTx: string | undefined
  /**
   * Gateway self-reported traffic in this epoch, per provider (less trusted, marked apart from the
   * receipted bytes): bytes paid after the owners' caps, and the weighted bytes the report counts.
   */
  readonly selfReported?: readonly SelfReportedVolume[]
}

/** One provider's self-reported traffic in a settled epoch. */
export interface SelfReportedVolume {
  readonly provider: EvmAddress
  readonly bytes: bigint
  readonly weighted: bigint
}

/** What the store made of a self-report. */
export type SelfReportHoldOutcome = 'accepted' | 'duplicate' | 'already-reported' | 'late'

/**
 * Durable state of the settlement engine. Each changing method is one atomic transaction, so a crash
 * leaves either all of a submission or none of it, and a settlement either whole or absent. `node:sqlite`
 * implements it (`openSqliteSettlementStore`); a server database can replace it later.
 */
export interface SettlementStore {
  /**
   * Holds receipts that passed the stateless rules, in one transaction. Per receipt: `late` when its
   * epoch is already settled; `duplicate` when the same receipt is already held or used (counted once);
   * `replayed` when its (downloader, ticket, nonce) was used by a different receipt; `stale` when a newer
   * nonce is held for its (epoch, downloader, provider, ticket); `not-cumulative` when it is newer but
   * has fewer bytes; else `accepted`, replacing the older one.
   */
  holdReceipts(receipts: readonly HeldReceipt[]): Promise<HoldOutcome[]>
  /** The latest receipts held for `epoch`. */
  heldReceipts(epoch: number): Promise<HeldReceipt[]>
  /** The tickets among `ticketIds` under which a receipt was ever taken (held, settled or not). */
  ticketsSeen(ticketIds: readonly string[]): Promise<Set<string>>
  /** Bytes counted per ticket in settled epochs (0n for a ticket never counted). */
  ticketUsage(ticketIds: readonly string[]): Promise<Map<string, bigint>>
  /**
   * Saves a settlement and adds its ticket bytes to the tickets' usage, in one transaction. When the
   * epoch is already settled it changes nothing and returns the saved one.
   */
  saveSettlement(settled: SettledEpoch): Promise<SettledEpoch>
  settlement(epoch: number): Promise<SettledEpoch | undefined>
  /** The highest settled epoch, or undefined. */
  lastSettled(): Promise<number | undefined>
  /** Epochs up to `upTo` with held receipts or self-reports and no settlement yet, oldest first. */
  unsettledEpochs(upTo: number): Promise<number[]>
  /** Charges saved with a settlement and not yet marked charged, oldest first. */
  pendingCharges(): Promise<TrafficCharge[]>
  markCharged(key: string): Promise<void>
  /** Settled epochs with a root not yet posted, oldest first. */
  unposted(): Promise<SettledEpoch[]>
  markPosted(epoch: number, txHash: string): Promise<void>
  /**
   * Holds a provider's self-report for an epoch, in one transaction: `late` when the epoch is settled;
   * `duplicate` when this very report (`reportId`) is held; `already-reported` when another one of this
   * provider for this epoch is held (one per epoch, never replaced); else `accepted`.
   */
  holdSelfReport(
    epoch: number,
    provider: EvmAddress,
    reportId: string,
    entries: readonly HeldSelfReportEntry[],
  ): Promise<SelfReportHoldOutcome>
  /**
   * Drops, in one transaction, the used nonces, held receipts and ticket usage of at most `limit`
   * tickets that expired at or before `expiredBy` (Unix seconds) and have no receipt held in an
   * unsettled epoch. The caller picks `expiredBy` so that every receipt under such a ticket is refused
   * by the stateless rules (its epoch closed, or the ticket expired by the epoch's start): no replay can
   * count once its nonces are gone.
   */
  pruneTickets(expiredBy: number, limit: number): Promise<PruneResult>
  /** Every self-report line held for `epoch`. */
  selfReports(epoch: number): Promise<HeldSelfReportEntry[]>
  close(): Promise<void>
}
