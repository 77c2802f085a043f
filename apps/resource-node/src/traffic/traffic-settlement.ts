import {
  buildRewardTree,
  bytesEqual,
  DEFAULT_EPOCH_MS,
  type EpochClock,
  type EvmAddress,
  encodeTicket,
  epochAt,
  epochBounds,
  type OzoneMarket,
  type Ticket,
  type TrafficReceipt,
  toEvmAddress,
  toHex,
} from '@stratos-edge/core'
import type { Logger } from '../logger.js'
import type { RootPoster } from './committee-root-poster.js'
import { type EpochRewardsInit, settleEpoch } from './epoch-rewards.js'
import { EpochNotDueError, NoRewardError } from './errors.js'
import {
  checkReceipt,
  type OwnerOf,
  type RejectReason,
  receiptSignatureValid,
  ticketSignatureValid,
} from './receipt-rules.js'
import type { SelfReport } from './self-report.js'
import { selfReportId } from './self-report.js'
import { checkSelfReport, type SelfReportRejectReason } from './self-report-rules.js'
import type { HeldReceipt, SettledEpoch, SettlementStore, TrafficCharge } from './settlement-store.js'
import { createTicketPruner } from './ticket-pruner.js'

/** Most ticket signature checks remembered at once. */
const MAX_CHECKED_TICKETS = 100_000

/** Options of {@link createTrafficSettlement}. */
export interface TrafficSettlementInit extends EpochRewardsInit {
  /** The epoch clock (10 min epochs by default; seconds in tests). */
  readonly clock: EpochClock
  /** How long after an epoch ends its receipts are still taken; default 1/5 of an epoch. */
  readonly lateWindowMs?: number
  /** Meta service addresses whose tickets back traffic. */
  readonly issuers: readonly string[]
  /**
   * The network id receipts, their tickets and gateway self-reports must be signed for
   * (`wrong-network` otherwise); default any.
   */
  readonly network?: number
  /**
   * Most expired tickets whose used nonces and held receipts each `tick()` drops (default
   * `DEFAULT_PRUNE_BATCH`; 0: never prune). See `createTicketPruner`.
   */
  readonly pruneBatch?: number
}

/** The meta service's download tickets, by id (lower-case hex). */
export interface TicketBook {
  get(ticketId: string): Promise<Ticket | undefined>
  /**
   * The encoded bytes (core's `encodeTicket`) of the ticket with this id if this meta service signed it
   * itself, as it kept them when issuing it. A ticket equal to them needs no signature recovery; without
   * this method (or for other issuers' tickets) each new ticket's signature is recovered once.
   */
  issuedHere?(ticketId: string): Promise<Uint8Array | undefined>
}

/**
 * Takes an epoch's ozone from a file owner. Implemented by the ozone ledger; must be idempotent by
 * `charge.key` (settlement retries a charge after a crash until it is marked done).
 */
export interface OzoneCharger {
  chargeTraffic(charge: TrafficCharge): Promise<void>
}

/** Checks downloader signatures in bulk (in this thread by default; a worker pool may replace it). */
export type ReceiptVerifier = (receipts: readonly TrafficReceipt[]) => Promise<boolean[]>

/** Checks ticket issuer signatures in bulk, against the accepted issuers (expiry not checked). */
export type TicketVerifier = (tickets: readonly Ticket[], issuers: readonly string[]) => Promise<boolean[]>

/** The edges of {@link createTrafficSettlement}. */
export interface TrafficSettlementComponents {
  readonly store: SettlementStore
  readonly tickets: TicketBook
  readonly charger: OzoneCharger
  /** The ozone market the reward formula reads (the ledger's). */
  readonly market: () => Promise<OzoneMarket>
  /** Posts roots on chain; without one, roots stay unposted. */
  readonly poster?: RootPoster
  /** Node owners, for the self-dealing rule; default: none known. */
  readonly ownerOf?: OwnerOf
  readonly verifier?: ReceiptVerifier
  /** Checks each new ticket's signature once; in this thread by default. */
  readonly ticketVerifier?: TicketVerifier
  /** Current time in ms; default `Date.now`. */
  readonly now?: () => number
  /** Providers whose gateway self-reports are taken (nodes the meta service runs or lists); default none. */
  readonly selfReporters?: (provider: EvmAddress) => boolean
  /**
   * Ozone (noz) of an owner that may pay its self-reported traffic at settlement (e.g. its balance less
   * its reservations); default 0n: self-reports pay nothing.
   */
  readonly selfReportCap?: (owner: EvmAddress) => Promise<bigint>
  readonly logger: Logger
}

/** What became of a submission. */
export interface SubmitResult {
  /** Receipts newly held (they replace older ones of their pair). */
  readonly accepted: number
  /** Receipts already held: counted once, not an error (a provider retrying after a timeout). */
  readonly duplicates: number
  /** Receipts that count for nothing, by index in the submission. */
  readonly rejected: readonly { index: number; reason: RejectReason }[]
}

/** What became of a self-report: held (`accepted`), held already (`duplicate`), or why not. */
export type SelfReportResult =
  | { readonly outcome: 'accepted' | 'duplicate' }
  | { readonly outcome: 'rejected'; readonly reason: SelfReportRejectReason }

/** A reward claim's leaf and proof. */
export interface RewardProof {
  readonly epoch: number
  readonly account: EvmAddress
  readonly amount: bigint
  readonly root: string
  readonly proof: string[]
}

/** Proof of Traffic settlement: the entry point the wire protocol and the nodes call. */
export interface TrafficSettlement {
  /** Takes a provider's latest receipts (any epoch still inside its late window). */
  submit(provider: string, receipts: readonly TrafficReceipt[]): Promise<SubmitResult>
  /**
   * Takes a gateway's signed self-report of a closed epoch (inside its late window): less trusted than
   * receipts, paid only within each owner's cap and at a weight (see `capSelfReports`), one per provider
   * per epoch.
   */
  submitSelfReport(report: SelfReport): Promise<SelfReportResult>
  /** Settles `epoch` (once its late window has closed): report, rewards, tree, charges. Idempotent. */
  settle(epoch: number): Promise<SettledEpoch>
  /** Settles every due epoch with receipts, retries pending charges, posts unposted roots. */
  tick(): Promise<void>
  /** The claim of `account` for a settled epoch; throws NoRewardError when it has none. */
  rewardProof(epoch: number, account: string): Promise<RewardProof>
  /** Runs `tick()` every `intervalMs` (default a tenth of an epoch) until `stop()`. */
  start(intervalMs?: number): void
  stop(): Promise<void>
}

/**
 * Proof of Traffic settlement in the meta service. Providers submit their downloaders' latest cumulative
 * receipts; each is checked (signature, ticket, epoch, nonce, self-dealing), and the latest per
 * (epoch, downloader, provider, ticket) is held durably. When an epoch's late window closes, it is
 * settled once: ticket caps, the volume report, owners' ozone charges, rewards by stratos-chain's
 * formulas and the reward Merkle root, which a committee poster sends to `TrafficRewards`.
 *
 * @example
 * ```ts
 * const settlement = createTrafficSettlement(
 *   { clock: { genesisMs }, issuers: [meta.evmAddress] },
 *   { store: openSqliteSettlementStore({ dataDir }), tickets, charger: ledger, market: () => ledger.market(), poster, logger },
 * )
 * await settlement.submit(provider, receipts)
 * settlement.start()
 * ```
 */
export function createTrafficSettlement(
  init: TrafficSettlementInit,
  components: TrafficSettlementComponents,
): TrafficSettlement {
  const { store, logger } = components
  const now = components.now ?? Date.now
  const epochMs = init.clock.epochMs ?? DEFAULT_EPOCH_MS
  const lateWindowMs = init.lateWindowMs ?? Math.floor(epochMs / 5)
  const ownerOf: OwnerOf = components.ownerOf ?? (() => [])
  const verify: ReceiptVerifier =
    components.verifier ?? (async (receipts) => receipts.map(receiptSignatureValid))
  const verifyTickets: TicketVerifier =
    components.ticketVerifier ??
    (async (tickets, issuers) => tickets.map((t) => ticketSignatureValid(t, issuers)))
  const closesAt = (epoch: number) => epochBounds(epoch, init.clock).end + lateWindowMs
  // Tickets whose issuer signature was checked, by id; bounded, cleared when full.
  const ticketChecked = new Map<string, boolean>()
  const prune = createTicketPruner(
    { clock: init.clock, lateWindowMs, ...(init.pruneBatch !== undefined ? { batch: init.pruneBatch } : {}) },
    { store, now, logger },
  )
  let timer: ReturnType<typeof setInterval> | undefined
  let running: Promise<void> | undefined

  /**
   * The looked-up tickets whose issuer signature is still to check. Tickets this meta service signed
   * itself (their bytes equal what it kept) are marked valid here, with no recovery.
   */
  async function knownOrUnchecked(tickets: Map<string, Ticket | undefined>): Promise<[string, Ticket][]> {
    const unchecked: [string, Ticket][] = []
    for (const [id, ticket] of tickets) {
      if (!ticket || ticketChecked.has(id)) continue
      const kept = await components.tickets.issuedHere?.(id)
      if (kept && bytesEqual(kept, encodeTicket(ticket))) {
        if (ticketChecked.size >= MAX_CHECKED_TICKETS) ticketChecked.clear()
        ticketChecked.set(id, true)
      } else unchecked.push([id, ticket])
    }
    return unchecked
  }

  async function submit(providerAddress: string, receipts: readonly TrafficReceipt[]): Promise<SubmitResult> {
    const provider = toEvmAddress(providerAddress)
    const at = now()
    const current = epochAt(at, init.clock)
    const rejected: { index: number; reason: RejectReason }[] = []
    // Cheap rules first, so a flood of late or misaddressed receipts costs no signature check.
    const candidates: number[] = []
    receipts.forEach((r, index) => {
      if (init.network !== undefined && r.network !== init.network)
        rejected.push({ index, reason: 'wrong-network' })
      else if (r.epoch > current) rejected.push({ index, reason: 'future' })
      else if (at >= closesAt(r.epoch)) rejected.push({ index, reason: 'late' })
      else if (toEvmAddress(r.provider) !== provider) rejected.push({ index, reason: 'wrong-provider' })
      else candidates.push(index)
    })
    // Look the tickets up first, so new tickets' signatures are checked alongside the receipts'.
    const tickets = new Map<string, Ticket | undefined>()
    for (const index of candidates) {
      const ticketId = (receipts[index] as TrafficReceipt).ticketId.toLowerCase()
      if (!tickets.has(ticketId)) tickets.set(ticketId, await components.tickets.get(ticketId))
    }
    const unchecked = await knownOrUnchecked(tickets)
    const [valid, ticketsValid] = await Promise.all([
      verify(candidates.map((i) => receipts[i] as TrafficReceipt)),
      verifyTickets(
        unchecked.map(([, t]) => t),
        init.issuers,
      ),
    ])
    if (ticketChecked.size + unchecked.length > MAX_CHECKED_TICKETS) ticketChecked.clear()
    unchecked.forEach(([id], i) => {
      ticketChecked.set(id, ticketsValid[i] === true)
    })
    const toHold: HeldReceipt[] = []
    const heldIndex: number[] = []
    for (const [k, index] of candidates.entries()) {
      const r = receipts[index] as TrafficReceipt
      const ticketId = r.ticketId.toLowerCase()
      const ticket = tickets.get(ticketId)
      // Checked at the epoch's start: a ticket that expires inside the epoch backed its traffic up to then
      // (capByTicket still caps its bytes).
      const ticketTime = Math.floor(epochBounds(r.epoch, init.clock).start / 1000)
      const reason = checkReceipt(r, {
        provider,
        ticket,
        issuers: init.issuers,
        ticketTime,
        ownerOf,
        signatureValid: valid[k] === true,
        // Unknown to the cache (never, short of a race with clearing it): checked here.
        ...(ticketChecked.has(ticketId)
          ? { ticketSignatureValid: ticketChecked.get(ticketId) === true }
          : {}),
      })
      if (reason || !ticket) {
        rejected.push({ index, reason: reason ?? 'unknown-ticket' })
        continue
      }
      toHold.push({
        epoch: r.epoch,
        downloader: toEvmAddress(r.downloader),
        provider,
        ticketId,
        owner: toEvmAddress(ticket.owner),
        bytesAllowed: ticket.bytesAllowed,
        bytes: BigInt(r.bytes),
        nonce: r.nonce,
        signature: toHex(r.signature),
        ticketExpiresAt: ticket.expiresAt,
      })
      heldIndex.push(index)
    }
    const outcomes = await store.holdReceipts(toHold)
    let accepted = 0
    let duplicates = 0
    outcomes.forEach((outcome, k) => {
      if (outcome === 'accepted') accepted++
      else if (outcome === 'duplicate') duplicates++
      else rejected.push({ index: heldIndex[k] as number, reason: outcome })
    })
    rejected.sort((a, b) => a.index - b.index)
    return { accepted, duplicates, rejected }
  }

  async function submitSelfReport(report: SelfReport): Promise<SelfReportResult> {
    const at = now()
    const reason = checkSelfReport(report, {
      network: init.network,
      currentEpoch: epochAt(Math.max(at, init.clock.genesisMs), init.clock),
      open: at < closesAt(report.epoch),
      mayReport: components.selfReporters?.(toEvmAddress(report.provider)) ?? false,
    })
    if (reason) return { outcome: 'rejected', reason }
    const provider = toEvmAddress(report.provider)
    const outcome = await store.holdSelfReport(
      report.epoch,
      provider,
      selfReportId(report),
      report.entries.map((e) => ({ provider, owner: e.owner, fileHash: e.fileHash, bytes: e.bytes })),
    )
    if (outcome === 'accepted' || outcome === 'duplicate') return { outcome }
    return { outcome: 'rejected', reason: outcome }
  }

  async function settle(epoch: number): Promise<SettledEpoch> {
    const saved = await store.settlement(epoch)
    if (saved) return saved
    const due = closesAt(epoch)
    if (now() < due) {
      throw new EpochNotDueError(
        `Epoch ${epoch} takes receipts until ${new Date(due).toISOString()}`,
        'Settle it after its late window',
      )
    }
    const held = await store.heldReceipts(epoch)
    const usage = await store.ticketUsage([...new Set(held.map((r) => r.ticketId))])
    const selfEntries = await store.selfReports(epoch)
    const capOzone = new Map<EvmAddress, bigint>()
    for (const owner of new Set(selfEntries.map((e) => e.owner))) {
      capOzone.set(owner, (await components.selfReportCap?.(owner)) ?? 0n)
    }
    const settled = await store.saveSettlement(
      settleEpoch(epoch, held, usage, await components.market(), init, { entries: selfEntries, capOzone }),
    )
    logger.info('epoch settled', { epoch, root: settled.root, total: settled.total, receipts: held.length })
    await chargePending()
    return settled
  }

  async function chargePending(): Promise<void> {
    for (const charge of await store.pendingCharges()) {
      await components.charger.chargeTraffic(charge)
      await store.markCharged(charge.key)
    }
  }

  async function tick(): Promise<void> {
    const lastDue = epochAt(Math.max(init.clock.genesisMs, now() - lateWindowMs), init.clock) - 1
    for (const epoch of await store.unsettledEpochs(lastDue)) await settle(epoch)
    await chargePending()
    // Housekeeping only: a failed prune (SQLITE_BUSY) must not keep this tick from posting roots.
    try {
      await prune()
    } catch (err) {
      logger.warn('ticket prune failed, will retry next tick', { err })
    }
    if (!components.poster) return
    for (const s of await store.unposted()) {
      const tx = await components.poster.post({ epoch: s.epoch, root: s.root as string, total: s.total })
      await store.markPosted(s.epoch, tx)
      logger.info('epoch root posted', { epoch: s.epoch, root: s.root, tx })
    }
  }

  return {
    submit,
    submitSelfReport,
    settle,
    tick,
    async rewardProof(epoch, accountAddress) {
      const account = toEvmAddress(accountAddress)
      const s = await store.settlement(epoch)
      const reward = s?.rewards.find((r) => r.account === account)
      if (!s || !reward) {
        throw new NoRewardError(`No reward for ${account} in epoch ${epoch}`, 'Check a settled epoch')
      }
      const tree = buildRewardTree({ epoch, rewards: s.rewards })
      return { epoch, account, amount: reward.amount, root: tree.root, proof: tree.proof(account) }
    },
    start(intervalMs = Math.max(1000, Math.floor(epochMs / 10))) {
      if (timer) return
      timer = setInterval(() => {
        if (running) return
        running = tick()
          .catch((err) => logger.warn('traffic settlement', { err }))
          .finally(() => {
            running = undefined
          })
      }, intervalMs)
    },
    async stop() {
      if (timer) clearInterval(timer)
      timer = undefined
      await running
    },
  }
}
