import {
  buildRewardTree,
  type EvmAddress,
  encodeVolumeReport,
  FIRST_PHASE_SPLIT,
  type OzoneMarket,
  type RewardSplit,
  shareByVolume,
  splitTrafficReward,
  toHex,
  trafficReward,
  type VolumeReport,
  volumeReportDigest,
} from '@stratos-edge/core'
import { capSelfReports, type HeldSelfReportEntry } from './self-report-rules.js'
import {
  type HeldReceipt,
  type SettledEpoch,
  selfReportChargeKey,
  type TrafficCharge,
  trafficChargeKey,
} from './settlement-store.js'

/** An epoch's gateway self-reports and what each owner's paid ozone covers (noz), for {@link settleEpoch}. */
export interface EpochSelfReports {
  readonly entries: readonly HeldSelfReportEntry[]
  /** Ozone of each owner that may pay this epoch's traffic (absent: none). */
  readonly capOzone: ReadonlyMap<EvmAddress, bigint>
}

/** Economic parameters of a settlement. */
export interface EpochRewardsInit {
  /** Shares of the reward; default stratos' first phase, 60/20/20. */
  readonly split?: RewardSplit
  /** Ozone (noz) one byte of traffic costs its owner; default 1n. */
  readonly ozonePerByte?: bigint
  /** Accounts sharing the meta-node pool equally (the committee); none: the pool is not paid out here. */
  readonly metaNodeAccounts?: readonly EvmAddress[]
  /** What a self-reported byte counts for against a receipted one, basis points (default 5000). */
  readonly selfReportWeightBps?: number
}

/**
 * Caps each ticket's traffic at what it still allows (its allowance less what earlier epochs counted).
 * When the providers of a ticket claim more than that, each gets its pro-rata share, rounded down.
 * Returns the paid bytes per receipt (input order) and per ticket.
 */
export function capByTicket(
  held: readonly HeldReceipt[],
  usedBefore: ReadonlyMap<string, bigint>,
): { paid: bigint[]; perTicket: Map<string, bigint> } {
  const claimed = new Map<string, bigint>()
  for (const r of held) claimed.set(r.ticketId, (claimed.get(r.ticketId) ?? 0n) + r.bytes)
  const perTicket = new Map<string, bigint>()
  const paid = held.map((r) => {
    const left = r.bytesAllowed - (usedBefore.get(r.ticketId) ?? 0n)
    const remaining = left > 0n ? left : 0n
    const total = claimed.get(r.ticketId) as bigint
    const bytes = total <= remaining ? r.bytes : (r.bytes * remaining) / total
    perTicket.set(r.ticketId, (perTicket.get(r.ticketId) ?? 0n) + bytes)
    return bytes
  })
  return { paid, perTicket }
}

/**
 * Settles an epoch from its held receipts, with stratos-chain's formulas: the traffic of each ticket is
 * capped; the volume report lists bytes per provider; its owners are charged `bytes·ozonePerByte`; the
 * epoch's reward is R = (S+Pt)·Y/(Lt+Y) for Y ozone of traffic, split into pools, the resource-node pool
 * shared by bytes served; the reward tree holds every account with a reward.
 *
 * @example
 * ```ts
 * const settled = settleEpoch(7, await store.heldReceipts(7), usage, await ledger.market(), {})
 * ```
 */
export function settleEpoch(
  epoch: number,
  held: readonly HeldReceipt[],
  usedBefore: ReadonlyMap<string, bigint>,
  market: OzoneMarket,
  init: EpochRewardsInit,
  selfReports?: EpochSelfReports,
): SettledEpoch {
  const ozonePerByte = init.ozonePerByte ?? 1n
  const { paid, perTicket } = capByTicket(held, usedBefore)
  const perProvider = new Map<EvmAddress, { bytes: bigint; receipts: number }>()
  const perOwner = new Map<EvmAddress, bigint>()
  held.forEach((r, i) => {
    const bytes = paid[i] as bigint
    const entry = perProvider.get(r.provider) ?? { bytes: 0n, receipts: 0 }
    entry.bytes += bytes
    entry.receipts += 1
    perProvider.set(r.provider, entry)
    perOwner.set(r.owner, (perOwner.get(r.owner) ?? 0n) + bytes)
  })
  // Self-reports: each owner pays them only from what its ozone covers after its receipted traffic.
  const self = capSelfReports(
    selfReports?.entries ?? [],
    (owner) => (selfReports?.capOzone.get(owner) ?? 0n) / ozonePerByte - (perOwner.get(owner) ?? 0n),
    init.selfReportWeightBps,
  )
  for (const [provider, v] of self.perProvider) {
    const entry = perProvider.get(provider) ?? { bytes: 0n, receipts: 0 }
    entry.bytes += v.weighted
    perProvider.set(provider, entry)
  }
  const entries = [...perProvider]
    .filter(([, v]) => v.bytes > 0n)
    .map(([provider, v]) => ({ provider, bytes: v.bytes, receipts: v.receipts }))
    .sort((a, b) => (a.provider.toLowerCase() < b.provider.toLowerCase() ? -1 : 1))
  const totalBytes = entries.reduce((sum, e) => sum + e.bytes, 0n)
  const report: VolumeReport = { epoch, entries, totalBytes }

  const pools = splitTrafficReward(
    trafficReward(totalBytes * ozonePerByte, market),
    init.split ?? FIRST_PHASE_SPLIT,
  )
  const rewards = new Map<EvmAddress, bigint>()
  const add = (account: EvmAddress, amount: bigint) => {
    if (amount > 0n) rewards.set(account, (rewards.get(account) ?? 0n) + amount)
  }
  for (const s of shareByVolume(
    pools.resourceNodes,
    entries.map((e) => ({ account: e.provider, bytes: e.bytes })),
  )) {
    add(s.account as EvmAddress, s.amount)
  }
  const meta = init.metaNodeAccounts ?? []
  for (const account of meta) add(account, pools.metaNodes / BigInt(meta.length))
  const rewardList = [...rewards].map(([account, amount]) => ({ account, amount }))
  const total = rewardList.reduce((sum, r) => sum + r.amount, 0n)
  const root = rewardList.length > 0 ? buildRewardTree({ epoch, rewards: rewardList }).root : undefined

  // Receipted traffic and self-reports are charged apart: only the first was backed by download tickets,
  // so only it may spend their reservations (see OzoneLedgerStore.chargeTraffic).
  const charges: TrafficCharge[] = [
    ...[...perOwner].map(([owner, bytes]) => ({ key: trafficChargeKey(epoch, owner), owner, bytes })),
    ...[...self.perOwner].map(([owner, bytes]) => ({ key: selfReportChargeKey(epoch, owner), owner, bytes })),
  ]
    .filter((c) => c.bytes > 0n)
    .map((c) => ({ key: c.key, epoch, owner: c.owner, ozone: c.bytes * ozonePerByte }))
  return {
    epoch,
    report: toHex(encodeVolumeReport(report)),
    reportDigest: volumeReportDigest(report),
    root,
    total,
    rewards: rewardList,
    charges,
    ticketBytes: perTicket,
    postedTx: undefined,
    ...(self.perProvider.size > 0
      ? {
          selfReported: [...self.perProvider]
            .map(([provider, v]) => ({ provider, bytes: v.bytes, weighted: v.weighted }))
            .sort((a, b) => (a.provider < b.provider ? -1 : 1)),
        }
      : {}),
  }
}
