import { decodeVolumeReport, type EvmAddress, fromHex, toEvmAddress } from '@stratos-edge/core'
import type { BridgeClient } from '@stratos-edge/polygon-bridge'
import type { TrafficEpochStatus, TrafficStatus } from '@stratos-edge/protocol'
import type { SettlementStore } from '../traffic/settlement-store.js'

/** Epochs a traffic status answer covers, newest last. */
export const STATUS_EPOCHS = 48

/** What a traffic status is read from. */
export interface TrafficStatusSources {
  network: number
  clock: { genesisMs: number; epochMs: number; lateWindowMs: number }
  currentEpoch: number
  trafficRewards?: `0x${string}`
  /** The meta service's ticket-signing address, for providers to check receipts' tickets against. */
  ticketIssuer?: `0x${string}`
  store: Pick<SettlementStore, 'settlement' | 'heldReceipts'>
  /** Asks `TrafficRewards` whether a reward was claimed; without it nothing counts as claimed. */
  client?: Pick<BridgeClient, 'isRewardClaimed'>
}

async function epochStatus(
  src: TrafficStatusSources,
  epoch: number,
  account: EvmAddress,
): Promise<TrafficEpochStatus | undefined> {
  const s = await src.store.settlement(epoch)
  if (s) {
    const entry = decodeVolumeReport(fromHex(s.report)).entries.find((e) => e.provider === account)
    const reward = s.rewards.find((r) => r.account === account)?.amount ?? 0n
    if (!entry && reward === 0n) return undefined
    const rootPosted = s.postedTx !== undefined
    const claimed =
      rootPosted && reward > 0n && src.client ? await src.client.isRewardClaimed(epoch, account) : false
    return {
      epoch,
      bytes: Number(entry?.bytes ?? 0n),
      receipts: entry?.receipts ?? 0,
      reward: reward.toString(),
      settled: true,
      rootPosted,
      claimed,
    }
  }
  const held = (await src.store.heldReceipts(epoch)).filter((r) => r.provider === account)
  if (held.length === 0) return undefined
  const bytes = held.reduce((sum, r) => sum + r.bytes, 0n)
  return {
    epoch,
    bytes: Number(bytes),
    receipts: held.length,
    reward: '0',
    settled: false,
    rootPosted: false,
    claimed: false,
  }
}

/**
 * TRAFFIC_STATUS's answer: the epoch clock and, for an account, its epochs among the last
 * {@link STATUS_EPOCHS} with traffic or a reward. An epoch's reward is `pending` until its root is on
 * chain, then `claimable`, then `claimed` (read from `TrafficRewards`).
 *
 * @example
 * ```ts
 * const status = await trafficStatusOf({ network, clock, currentEpoch, store }, provider)
 * ```
 */
export async function trafficStatusOf(src: TrafficStatusSources, account?: string): Promise<TrafficStatus> {
  const current = src.currentEpoch
  const base = {
    network: src.network,
    genesisMs: src.clock.genesisMs,
    epochMs: src.clock.epochMs,
    currentEpoch: current,
    lateWindowMs: src.clock.lateWindowMs,
    ...(src.trafficRewards ? { trafficRewards: src.trafficRewards } : {}),
    ...(src.ticketIssuer ? { ticketIssuer: src.ticketIssuer } : {}),
  }
  if (!account) return { ...base, epochs: [], pending: '0', claimable: '0', claimed: '0' }
  const who = toEvmAddress(account)
  const epochs: TrafficEpochStatus[] = []
  let pending = 0n
  let claimable = 0n
  let claimed = 0n
  for (let e = Math.max(0, current - STATUS_EPOCHS + 1); e <= current; e++) {
    const s = await epochStatus(src, e, who)
    if (!s) continue
    epochs.push(s)
    const reward = BigInt(s.reward)
    if (s.claimed) claimed += reward
    else if (s.rootPosted) claimable += reward
    else if (s.settled) pending += reward
  }
  return {
    ...base,
    epochs,
    pending: pending.toString(),
    claimable: claimable.toString(),
    claimed: claimed.toString(),
  }
}
