import {
  DEFAULT_EPOCH_MS,
  decodeVolumeReport,
  type EpochClock,
  epochAt,
  fromHex,
  toEvmAddress,
} from '@stratos-edge/core'
import type { SettlementStore, TrafficSettlement } from '../traffic/index.js'
import type { RewardSource, TrafficEpochStatus, TrafficStatusView } from './traffic-claimer.js'

/** Options of {@link createSettlementRewardSource}. */
export interface SettlementRewardSourceInit {
  readonly clock: EpochClock
  readonly lateWindowMs: number
  readonly network?: number
  readonly trafficRewards?: string
  /** Settled epochs looked at, newest first (default 144: a day of 10-minute epochs). */
  readonly lookBack?: number
  /** Current time in ms; default `Date.now`. */
  readonly now?: () => number
}

/**
 * A reward source over an in-process settlement (a node that runs the meta service claims without the
 * wire): each settled epoch's reward for the account, and whether its root is posted. `claimed` is
 * always false here: the claimer asks the contract.
 *
 * @example
 * ```ts
 * const source = createSettlementRewardSource({ clock, lateWindowMs }, { settlement, store })
 * ```
 */
export function createSettlementRewardSource(
  init: SettlementRewardSourceInit,
  parts: { settlement: TrafficSettlement; store: SettlementStore },
): RewardSource {
  const now = init.now ?? Date.now
  return {
    async trafficStatus(accountAddress) {
      const account = toEvmAddress(accountAddress)
      const epochs: TrafficEpochStatus[] = []
      const last = await parts.store.lastSettled()
      let pending = 0n
      for (
        let e = Math.max(0, (last ?? -1) - (init.lookBack ?? 144) + 1);
        last !== undefined && e <= last;
        e++
      ) {
        const s = await parts.store.settlement(e)
        const reward = s?.rewards.find((r) => r.account === account)?.amount
        if (!s || reward === undefined) continue
        if (!s.postedTx) pending += reward
        const volume = decodeVolumeReport(fromHex(s.report)).entries.find((v) => v.provider === account)
        epochs.push({
          epoch: e,
          bytes: Number(volume?.bytes ?? 0n),
          receipts: volume?.receipts ?? 0,
          reward: reward.toString(),
          settled: true,
          rootPosted: Boolean(s.postedTx),
          claimed: false,
        })
      }
      const claimable = epochs.filter((e) => e.rootPosted).reduce((sum, e) => sum + BigInt(e.reward), 0n)
      const view: TrafficStatusView = {
        ...(init.network !== undefined ? { network: init.network } : {}),
        genesisMs: init.clock.genesisMs,
        epochMs: init.clock.epochMs ?? DEFAULT_EPOCH_MS,
        currentEpoch: epochAt(Math.max(now(), init.clock.genesisMs), init.clock),
        lateWindowMs: init.lateWindowMs,
        ...(init.trafficRewards ? { trafficRewards: init.trafficRewards } : {}),
        epochs,
        pending: pending.toString(),
        claimable: claimable.toString(),
        claimed: '0',
      }
      return view
    },
    async rewardProof(epoch, account) {
      const p = await parts.settlement.rewardProof(epoch, account)
      return { epoch: p.epoch, account: p.account, amount: p.amount.toString(), proof: p.proof }
    },
  }
}
