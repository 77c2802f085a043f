/** Tells the page when an epoch this node earned in is settled (`traffic:settled`). */
import type { TrafficIndex } from './traffic-index.js'

/** Edges of {@link watchSettlements}. */
export interface SettlementWatchComponents {
  account: string
  index: Pick<TrafficIndex, 'trafficStatus'>
  onSettled(detail: { epoch: number; reward: string }): void
}

/**
 * Asks the meta service for the account's epochs a few times per epoch (at least every second, at most
 * every minute) and reports each settled epoch once.
 *
 * @example
 * ```ts
 * const stop = watchSettlements({ account, index, onSettled: (d) => emit({ type: 'traffic:settled', detail: d }) })
 * ```
 */
export function watchSettlements(components: SettlementWatchComponents): () => void {
  const seen = new Set<number>()
  let timer: ReturnType<typeof setTimeout> | undefined
  let stopped = false
  let everyMs = 2000
  const poll = async (): Promise<void> => {
    try {
      const status = await components.index.trafficStatus(components.account)
      everyMs = Math.min(60_000, Math.max(1000, Math.floor(status.epochMs / 4)))
      for (const e of status.epochs) {
        if (!e.settled || seen.has(e.epoch)) continue
        seen.add(e.epoch)
        if (BigInt(e.reward) > 0n) components.onSettled({ epoch: e.epoch, reward: e.reward })
      }
    } catch {
      // The meta service is unreachable: ask again next time.
    }
    if (!stopped) timer = setTimeout(() => void poll(), everyMs)
  }
  timer = setTimeout(() => void poll(), 0)
  return () => {
    stopped = true
    clearTimeout(timer)
  }
}
