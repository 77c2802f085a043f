/** `traffic()`: the receipts this node holds as a provider, with what the meta service made of them. */
import type { ReceiptHoldStore } from '@stratos-edge/protocol'
import type { TrafficEpoch, TrafficSummary } from '../../api-types.js'
import { rewardTokenBalance } from './rewards-contract.js'
import type { TrafficEpochStatus, TrafficIndex } from './traffic-index.js'

/** Inputs of {@link readTrafficSummary}. */
export interface TrafficSummaryComponents {
  network?: number | undefined
  /** The node key's address. */
  account: string
  hold: ReceiptHoldStore
  index?: Pick<TrafficIndex, 'trafficStatus'> | undefined
  polygonRpc?: string | undefined
}

function stateOf(
  epoch: number,
  current: number,
  meta: TrafficEpochStatus | undefined,
  anySubmitted: boolean,
): TrafficEpoch['state'] {
  if (meta?.claimed) return 'claimed'
  if (meta?.settled && meta.rootPosted && BigInt(meta.reward) > 0n) return 'claimable'
  if (meta?.settled) return 'settled'
  if (epoch >= current || !anySubmitted) return 'open'
  return 'submitted'
}

/**
 * Builds the summary: one entry per epoch this node holds receipts for or the meta service counted.
 *
 * @example
 * ```ts
 * const summary = await readTrafficSummary({ account, hold: store.receipts, index })
 * ```
 */
export async function readTrafficSummary(components: TrafficSummaryComponents): Promise<TrafficSummary> {
  const { account, hold, index } = components
  const status = index ? await index.trafficStatus(account) : undefined
  const held = await hold.list()
  const local = new Map<number, { bytes: number; receipts: number; submitted: boolean }>()
  for (const h of held) {
    const e = local.get(h.receipt.epoch) ?? { bytes: 0, receipts: 0, submitted: false }
    e.bytes += h.receipt.bytes
    e.receipts++
    e.submitted ||= h.state === 'submitted'
    local.set(h.receipt.epoch, e)
  }
  const metaEpochs = new Map((status?.epochs ?? []).map((e) => [e.epoch, e]))
  const numbers = [...new Set([...local.keys(), ...metaEpochs.keys()])].sort((a, b) => a - b)
  const current = status?.currentEpoch ?? 0
  const epochs: TrafficEpoch[] = numbers.map((epoch) => {
    const mine = local.get(epoch)
    const meta = metaEpochs.get(epoch)
    return {
      epoch,
      bytesServed: mine?.bytes ?? meta?.bytes ?? 0,
      receipts: mine?.receipts ?? meta?.receipts ?? 0,
      reward: meta?.reward ?? '0',
      state: stateOf(epoch, current, meta, mine?.submitted ?? meta !== undefined),
    }
  })
  let balance: string | undefined
  if (components.polygonRpc && status?.trafficRewards) {
    balance = (await rewardTokenBalance(components.polygonRpc, status.trafficRewards, account)).toString()
  }
  return {
    account,
    ...(components.network !== undefined ? { network: components.network } : {}),
    currentEpoch: current,
    epochMs: status?.epochMs ?? 0,
    epochs,
    pending: status?.pending ?? '0',
    claimable: status?.claimable ?? '0',
    claimed: status?.claimed ?? '0',
    ...(balance !== undefined ? { balance } : {}),
  }
}
