import type { RewardClaim, TxResult } from '@stratos-edge/polygon-bridge'
import type { Logger } from '../logger.js'

/** One epoch of an account's traffic, as the meta service's TRAFFIC_STATUS reports it. */
export interface TrafficEpochStatus {
  readonly epoch: number
  readonly bytes: string | number
  readonly receipts: number
  /** STOS wei, decimal. */
  readonly reward: string
  readonly settled: boolean
  readonly rootPosted: boolean
  readonly claimed: boolean
}

/** The meta service's TRAFFIC_STATUS answer for an account (amounts as decimal wei strings). */
export interface TrafficStatusView {
  readonly network?: number
  readonly genesisMs: number
  readonly epochMs: number
  readonly currentEpoch: number
  readonly lateWindowMs: number
  readonly trafficRewards?: string
  readonly epochs: readonly TrafficEpochStatus[]
  readonly pending: string
  readonly claimable: string
  readonly claimed: string
}

/** Where the claimer learns its rewards: the meta service (index protocol ops, or in process). */
export interface RewardSource {
  trafficStatus(account: string): Promise<TrafficStatusView>
  rewardProof(
    epoch: number,
    account: string,
  ): Promise<{ epoch: number; account: string; amount: string; proof: readonly string[] }>
}

/** The part of the bridge client a claim needs (`TrafficRewards` on Polygon). */
export interface RewardChain {
  claimReward(claim: RewardClaim): Promise<TxResult>
  isRewardClaimed(epoch: number, account: string): Promise<boolean>
}

/** One epoch this node claimed (or found claimed on chain). */
export interface ClaimedEpoch {
  readonly epoch: number
  readonly amount: bigint
  /** The claim transaction; undefined when the chain already had the claim (sent before a restart). */
  readonly txHash: string | undefined
}

/** Options of {@link createTrafficClaimer}. */
export interface TrafficClaimerInit {
  /** The node's EVM address (its rewards' account; its key pays the gas). */
  readonly account: string
  /** How often to look for claimable epochs, ms (default 30 000). */
  readonly intervalMs?: number
}

/** The edges of {@link createTrafficClaimer}. */
export interface TrafficClaimerComponents {
  readonly source: RewardSource
  readonly chain: RewardChain
  readonly logger: Logger
}

/** Claims the node's traffic rewards on `TrafficRewards` after each settled epoch with a posted root. */
export interface TrafficClaimer {
  /** Claims every epoch now claimable, once each; returns the epochs claimed by this call. */
  claimDue(): Promise<ClaimedEpoch[]>
  /** Every epoch claimed since start, oldest first. */
  claimed(): readonly ClaimedEpoch[]
  /** The last status seen (undefined before the first look). */
  lastStatus(): TrafficStatusView | undefined
  /** Runs `claimDue()` every `intervalMs` until `stop()`. */
  start(): void
  stop(): Promise<void>
}

/**
 * The resource node's reward claimer: asks the meta service which epochs are settled with a root
 * posted and not yet claimed, fetches each REWARD_PROOF and sends `TrafficRewards.claim`. An epoch is
 * claimed once: the claimer remembers what it sent and asks the contract before each claim (a claim
 * sent before a restart is found there, not sent again).
 *
 * @example
 * ```ts
 * const claimer = createTrafficClaimer({ account: key.evmAddress }, { source, chain: bridgeClient, logger })
 * claimer.start()
 * ```
 */
export function createTrafficClaimer(
  init: TrafficClaimerInit,
  components: TrafficClaimerComponents,
): TrafficClaimer {
  const { source, chain, logger } = components
  const done = new Map<number, ClaimedEpoch>()
  let status: TrafficStatusView | undefined
  let timer: ReturnType<typeof setInterval> | undefined
  let running: Promise<unknown> | undefined

  async function claimDue(): Promise<ClaimedEpoch[]> {
    status = await source.trafficStatus(init.account)
    const out: ClaimedEpoch[] = []
    for (const e of status.epochs) {
      if (!e.settled || !e.rootPosted || e.claimed || done.has(e.epoch) || BigInt(e.reward) <= 0n) continue
      if (await chain.isRewardClaimed(e.epoch, init.account)) {
        done.set(e.epoch, { epoch: e.epoch, amount: BigInt(e.reward), txHash: undefined })
        continue
      }
      const proof = await source.rewardProof(e.epoch, init.account)
      const amount = BigInt(proof.amount)
      const tx = await chain.claimReward({
        epoch: e.epoch,
        account: init.account,
        amount,
        proof: proof.proof,
      })
      const claimed = { epoch: e.epoch, amount, txHash: tx.hash }
      done.set(e.epoch, claimed)
      out.push(claimed)
      logger.info('traffic reward claimed', { epoch: e.epoch, amount: amount.toString(), tx: tx.hash })
    }
    return out
  }

  return {
    claimDue,
    claimed: () => [...done.values()].sort((a, b) => a.epoch - b.epoch),
    lastStatus: () => status,
    start() {
      if (timer) return
      timer = setInterval(() => {
        if (running) return
        running = claimDue()
          .catch((error: unknown) => logger.warn('traffic claim failed', { error }))
          .finally(() => {
            running = undefined
          })
      }, init.intervalMs ?? 30_000)
    },
    async stop() {
      if (timer) clearInterval(timer)
      timer = undefined
      await running
    },
  }
}
