import { type EpochClock, epochBounds, type KeyPair } from '@stratos-edge/core'
import type { SubmitSelfReportResult } from '@stratos-edge/protocol'
import type { ServedTraffic } from '../gateway/served-traffic.js'
import type { Logger } from '../logger.js'
import { encodeSelfReport, MAX_SELF_REPORT_ENTRIES, signSelfReport } from '../traffic/self-report.js'
import type { SelfReportState } from './traffic-status.js'

/** Options of {@link createSelfReporter}. */
export interface SelfReporterInit {
  readonly network: number
  readonly clock: EpochClock
  /** How long after an epoch ends the meta service takes its reports, ms. */
  readonly lateWindowMs: number
}

/** The edges of {@link createSelfReporter}. */
export interface SelfReporterComponents {
  readonly served: ServedTraffic
  /** The node's EVM key: signs the reports, is paid for them. */
  readonly key: KeyPair
  /** Sends an encoded report to the meta service (SUBMIT_SELF_REPORT, or in process). */
  readonly submit: (report: Uint8Array) => Promise<SubmitSelfReportResult>
  readonly logger: Logger
  /** Current time in ms; default `Date.now`. */
  readonly now?: () => number
}

/** Reports the gateway's traffic of each closed epoch to the meta service, once. */
export interface SelfReporter {
  /** Reports every closed epoch not reported yet (inside its late window); safe to call often. */
  reportDue(): Promise<void>
  /** What became of each epoch's report. */
  states(): ReadonlyMap<number, SelfReportState>
}

/**
 * The gateway's self-reporter: after an epoch ends, signs the bytes served to anonymous HTTP readers
 * in it (per owner and file, the biggest {@link MAX_SELF_REPORT_ENTRIES} lines) and submits them.
 * A failed send is retried on the next call until the late window closes; an answer (held, duplicate
 * or rejected) is final.
 *
 * @example
 * ```ts
 * const reporter = createSelfReporter({ network, clock, lateWindowMs }, { served, key, submit, logger })
 * setInterval(() => reporter.reportDue(), 5000)
 * ```
 */
export function createSelfReporter(init: SelfReporterInit, c: SelfReporterComponents): SelfReporter {
  const now = c.now ?? Date.now
  const states = new Map<number, SelfReportState>()
  return {
    async reportDue() {
      const current = c.served.currentEpoch()
      for (const { epoch } of c.served.epochs()) {
        if (epoch >= current) continue
        const state = states.get(epoch)
        if (state !== undefined && state !== 'pending') continue
        if (now() >= epochBounds(epoch, init.clock).end + init.lateWindowMs) {
          if (state === 'pending') states.set(epoch, 'rejected:late')
          continue
        }
        const entries = c.served
          .files(epoch)
          .sort((a, b) => (a.bytes > b.bytes ? -1 : a.bytes < b.bytes ? 1 : 0))
          .slice(0, MAX_SELF_REPORT_ENTRIES)
        if (entries.length === 0) continue
        states.set(epoch, 'pending')
        try {
          const report = signSelfReport(
            { network: init.network, epoch, provider: c.key.evmAddress, entries },
            c.key,
          )
          const result = await c.submit(encodeSelfReport(report))
          const outcome: SelfReportState =
            result.outcome === 'rejected' ? `rejected:${result.reason ?? 'unknown'}` : result.outcome
          states.set(epoch, outcome)
          c.logger.info('gateway self-report sent', { epoch, lines: entries.length, outcome })
        } catch (error) {
          c.logger.warn('gateway self-report failed, will retry', { epoch, error })
        }
      }
    },
    states: () => states,
  }
}
