import type { MessageReader } from '../codec/message-reader.js'
import type { MessageWriter } from '../codec/message-writer.js'
import { type RecordOutcome, readRecordOutcome, writeRecordOutcome } from './outcome-messages.js'

/** The gateway self-report request of the index protocol (newer than the traffic ops). */
export const SelfReportIndexOp = {
  /**
   * A serving node's signed report of the bytes its HTTP gateway served to anonymous readers in a
   * closed epoch (the resource node's `encodeSelfReport`); less trusted than receipts, capped by the
   * owners' paid ozone. See docs/proof-of-traffic.md.
   */
  SUBMIT_SELF_REPORT: 0x33,
} as const

/** Largest encoded self-report (4096 lines of owner, file hash and bytes in JSON: about 480 KiB). */
export const MAX_SELF_REPORT_BYTES = 1024 * 1024

/** SUBMIT_SELF_REPORT's answer: held (`accepted`), held already (`duplicate`), or refused with a reason. */
export type SubmitSelfReportResult = RecordOutcome

export type SelfReportIndexRequest = { op: typeof SelfReportIndexOp.SUBMIT_SELF_REPORT; report: Uint8Array }
export type SelfReportIndexResponse = {
  op: typeof SelfReportIndexOp.SUBMIT_SELF_REPORT
  result: SubmitSelfReportResult
}

/** Writes the body of a SUBMIT_SELF_REPORT request. */
export function writeSelfReportRequest(w: MessageWriter, req: SelfReportIndexRequest): void {
  w.bytes(req.report)
}

/** Reads the body of a SUBMIT_SELF_REPORT request. */
export function readSelfReportRequest(r: MessageReader): SelfReportIndexRequest {
  return { op: SelfReportIndexOp.SUBMIT_SELF_REPORT, report: r.bytes('self-report', MAX_SELF_REPORT_BYTES) }
}

/** Writes the body of a SUBMIT_SELF_REPORT response. */
export function writeSelfReportResponse(w: MessageWriter, res: SelfReportIndexResponse): void {
  writeRecordOutcome(w, res.result)
}

/** Reads the body of a SUBMIT_SELF_REPORT response. */
export function readSelfReportResponse(r: MessageReader): SelfReportIndexResponse {
  return { op: SelfReportIndexOp.SUBMIT_SELF_REPORT, result: readRecordOutcome(r, 'self-report') }
}
