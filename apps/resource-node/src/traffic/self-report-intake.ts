import { type EvmAddress, toEvmAddress } from '@stratos-edge/core'
import type { SubmitSelfReportResult } from '@stratos-edge/protocol'
import { decodeSelfReport, type SelfReport } from './self-report.js'
import type { TrafficSettlement, TrafficSettlementComponents } from './traffic-settlement.js'

/**
 * The meta service's SUBMIT_SELF_REPORT hook: decodes a wire self-report and hands it to the
 * settlement; an undecodable one is `forged`.
 *
 * @example
 * ```ts
 * const traffic = { ...ops, submitSelfReport: (bytes) => submitEncodedSelfReport(settlement, bytes) }
 * ```
 */
export async function submitEncodedSelfReport(
  settlement: Pick<TrafficSettlement, 'submitSelfReport'>,
  bytes: Uint8Array,
): Promise<SubmitSelfReportResult> {
  let report: SelfReport
  try {
    report = decodeSelfReport(bytes)
  } catch {
    return { outcome: 'rejected', reason: 'forged' }
  }
  const result = await settlement.submitSelfReport(report)
  return result.outcome === 'rejected' ? { outcome: 'rejected', reason: result.reason } : result
}

/**
 * The settlement's self-report edges for a meta service: who may self-report, and each owner's cap,
 * its ozone balance less its reservations (what it paid and has not promised to tickets), never below 0.
 *
 * @example
 * ```ts
 * createTrafficSettlement(init, { ...components, ...selfReportParts([nodeAddress], ledger) })
 * ```
 */
export function selfReportParts(
  reporters: readonly string[],
  ledger: { balance(owner: string): Promise<bigint>; reserved(owner: string): Promise<bigint> },
): Pick<TrafficSettlementComponents, 'selfReporters' | 'selfReportCap'> {
  const allowed = new Set<EvmAddress>(reporters.map((r) => toEvmAddress(r)))
  return {
    selfReporters: (provider) => allowed.has(provider),
    async selfReportCap(owner) {
      const free = (await ledger.balance(owner)) - (await ledger.reserved(owner))
      return free > 0n ? free : 0n
    },
  }
}
