/**
 * Proof of Traffic as the light node's facade uses it: receipts for its downloads, the watch that tells
 * the page when an epoch settles, and what it earned as a provider (summary, claim plan, node-key claim).
 */
import type { ClaimResult, LightNodeEvent, RewardClaimCall, TrafficSummary } from '../../api-types.js'
import { TrafficUnavailableError } from '../../errors.js'
import type { Providers } from '../providers.js'
import type { Runtime, RuntimeInit } from '../runtime.js'
import { createDownloadTraffic, type DownloadTraffic } from './download-traffic.js'
import { createReceiptOutbox } from './receipt-outbox.js'
import { claimWithNodeKey, planRewardClaims } from './reward-claims.js'
import { watchSettlements } from './settlement-watch.js'
import type { TrafficIndex } from './traffic-index.js'
import { readTrafficSummary } from './traffic-summary.js'

/** The light node's traffic part; every method throws `TrafficUnavailableError` where it cannot work. */
export interface NodeTraffic {
  /** Signs receipts for downloads; undefined without a network id, receipts or a settling meta service. */
  readonly downloads: DownloadTraffic | undefined
  summary(): Promise<TrafficSummary>
  claimPlan(): Promise<RewardClaimCall[]>
  claimWithNodeKey(): Promise<ClaimResult>
  stop(): void
}

/** Builds the traffic part of a started runtime. */
export function createNodeTraffic(
  init: RuntimeInit,
  components: { runtime: Runtime; providers: Providers; emit(event: LightNodeEvent): void },
): NodeTraffic {
  const { runtime, providers, emit } = components
  const { index, owner } = runtime
  const downloads =
    init.network !== undefined &&
    init.receipts !== false &&
    index?.requestDownloadTicket &&
    index.trafficStatus
      ? createDownloadTraffic(
          { network: init.network },
          {
            nodeKey: owner,
            index: index as Required<Pick<typeof index, 'requestDownloadTicket' | 'trafficStatus'>>,
            connect: (p, s) => providers.connect(p, s),
            outbox: createReceiptOutbox({}, { settings: runtime.store }),
          },
        )
      : undefined
  // Final receipts a previous run signed but could not deliver (the tab closed right after a download).
  const resending = new AbortController()
  void downloads?.resend(AbortSignal.any([resending.signal, AbortSignal.timeout(120_000)]))
  const stopWatch =
    runtime.traffic && index?.trafficStatus
      ? watchSettlements({
          account: owner.evmAddress,
          index: index as Pick<TrafficIndex, 'trafficStatus'>,
          onSettled: (detail) => emit({ type: 'traffic:settled', detail }),
        })
      : undefined

  const rewardsIndex = (): Pick<TrafficIndex, 'trafficStatus' | 'rewardProof'> => {
    if (!index?.trafficStatus || !index.rewardProof) {
      throw new TrafficUnavailableError(
        'No meta service to ask about traffic rewards',
        'Start the node with resourceNodes that run the meta service',
      )
    }
    return index as Pick<TrafficIndex, 'trafficStatus' | 'rewardProof'>
  }
  const claimPlan = () => planRewardClaims(owner.evmAddress, rewardsIndex())

  return {
    downloads,
    summary: () =>
      readTrafficSummary({
        network: init.network,
        account: owner.evmAddress,
        hold: runtime.store.receipts,
        index: index?.trafficStatus ? (index as Pick<TrafficIndex, 'trafficStatus'>) : undefined,
        polygonRpc: init.polygonRpc,
      }),
    claimPlan,
    async claimWithNodeKey() {
      if (!init.polygonRpc) {
        throw new TrafficUnavailableError(
          'Claiming with the node key needs a Polygon RPC',
          'Start the node with polygonRpc, or pass a wallet as claim({ signer })',
        )
      }
      return claimWithNodeKey(await claimPlan(), { rpcUrl: init.polygonRpc, nodeKey: owner })
    },
    stop: () => {
      resending.abort()
      stopWatch?.()
    },
  }
}
