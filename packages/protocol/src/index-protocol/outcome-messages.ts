import type { MessageReader } from '../codec/message-reader.js'
import type { MessageWriter } from '../codec/message-writer.js'

const MAX_OUTCOME_BYTES = 64

/**
 * The answer of an index request that hands the meta service one signed record to keep (a gateway
 * self-report, a node-owner binding): kept (`accepted`), kept already (`duplicate`), or refused with the
 * rule it broke.
 */
export interface RecordOutcome {
  outcome: 'accepted' | 'duplicate' | 'rejected'
  /** The rule it broke, when rejected. */
  reason?: string
}

/** Writes a {@link RecordOutcome}: the outcome, then the reason (empty when none), each at most 64 bytes. */
export function writeRecordOutcome(w: MessageWriter, result: RecordOutcome): void {
  w.string(result.outcome).string((result.reason ?? '').slice(0, MAX_OUTCOME_BYTES))
}

/** Reads a {@link RecordOutcome}; `what` names the record in the error of an unknown outcome. */
export function readRecordOutcome(r: MessageReader, what: string): RecordOutcome {
  const outcome = r.string('outcome', MAX_OUTCOME_BYTES)
  if (outcome !== 'accepted' && outcome !== 'duplicate' && outcome !== 'rejected')
    r.fail(`unknown ${what} outcome ${outcome}`)
  const reason = r.string('reason', MAX_OUTCOME_BYTES)
  return { outcome, ...(reason ? { reason } : {}) }
}
