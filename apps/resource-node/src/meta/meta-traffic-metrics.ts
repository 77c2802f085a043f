import { Gauge, type Registry } from 'prom-client'
import type { MetaTraffic } from './meta-traffic.js'

/**
 * The meta service's epoch state in `/metrics` (`stratos_meta_epoch_*`): epochs settled, receipts
 * accepted and rejected by reason, roots posted and the delay from an epoch's end to its root posted.
 *
 * @example
 * ```ts
 * registerMetaTrafficMetrics(metrics.registry, traffic)
 * ```
 */
export function registerMetaTrafficMetrics(
  registry: Registry,
  traffic: Pick<MetaTraffic, 'counters' | 'clock'>,
): void {
  const c = traffic.counters
  const reg = { registers: [registry] }
  new Gauge({
    name: 'stratos_meta_epoch_settled_total',
    help: 'Traffic epochs this meta service settled since it started',
    ...reg,
    collect() {
      this.set(c.epochsSettled)
    },
  })
  new Gauge({
    name: 'stratos_meta_epoch_receipts_accepted_total',
    help: 'Traffic receipts held (newly, or replacing an older one of their pair)',
    ...reg,
    collect() {
      this.set(c.receiptsAccepted)
    },
  })
  new Gauge({
    name: 'stratos_meta_epoch_receipts_duplicate_total',
    help: 'Traffic receipts submitted again (counted once)',
    ...reg,
    collect() {
      this.set(c.receiptsDuplicate)
    },
  })
  new Gauge({
    name: 'stratos_meta_epoch_receipts_rejected_total',
    help: 'Traffic receipts refused, by rule broken',
    labelNames: ['reason'],
    ...reg,
    collect() {
      for (const [reason, n] of c.rejected) this.set({ reason }, n)
    },
  })
  new Gauge({
    name: 'stratos_meta_epoch_roots_posted_total',
    help: 'Epoch reward roots posted to TrafficRewards',
    ...reg,
    collect() {
      this.set(c.rootsPosted)
    },
  })
  new Gauge({
    name: 'stratos_meta_epoch_root_post_delay_seconds',
    help: 'Seconds from the end of the last posted epoch to its root on chain',
    ...reg,
    collect() {
      if (c.lastRootPostDelaySeconds !== undefined) this.set(c.lastRootPostDelaySeconds)
    },
  })
  new Gauge({
    name: 'stratos_meta_epoch_length_seconds',
    help: 'Traffic epoch length',
    ...reg,
    collect() {
      this.set(traffic.clock.epochMs / 1000)
    },
  })
}
