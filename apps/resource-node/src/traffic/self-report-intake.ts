import type { SubmitSelfReportResult } from '@stratos-edge/protocol'
import { decodeSelfReport, type SelfReport } from './self-report.js'
import type { TrafficSettlement } from './traffic-settlement.js'

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
