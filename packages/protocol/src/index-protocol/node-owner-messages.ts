import type { MessageReader } from '../codec/message-reader.js'
import type { MessageWriter } from '../codec/message-writer.js'

/** The node-owner binding request of the index protocol (newer than the self-report op). */
export const NodeOwnerIndexOp = {
  /**
   * A binding of a node address to its owner's wallet, signed by both (core's
   * `encodeNodeOwnerBinding`); the meta service keeps it for good and refuses receipts whose downloader
   * and provider share an owner (`self-dealing`). See docs/proof-of-traffic.md.
   */
  REGISTER_NODE_OWNER: 0x34,
} as const

/** Largest encoded binding taken (it is 211 bytes today). */
export const MAX_NODE_OWNER_BINDING_BYTES = 1024
const MAX_OUTCOME_BYTES = 64

/** REGISTER_NODE_OWNER's answer: kept (`accepted`), kept already (`duplicate`), or refused with a reason. */
export interface RegisterNodeOwnerResult {
  outcome: 'accepted' | 'duplicate' | 'rejected'
  /** The rule it broke, when rejected. */
  reason?: string
}

export type NodeOwnerIndexRequest = { op: typeof NodeOwnerIndexOp.REGISTER_NODE_OWNER; binding: Uint8Array }
export type NodeOwnerIndexResponse = {
  op: typeof NodeOwnerIndexOp.REGISTER_NODE_OWNER
  result: RegisterNodeOwnerResult
}

/** Writes the body of a REGISTER_NODE_OWNER request. */
export function writeNodeOwnerRequest(w: MessageWriter, req: NodeOwnerIndexRequest): void {
  w.bytes(req.binding)
}

/** Reads the body of a REGISTER_NODE_OWNER request. */
export function readNodeOwnerRequest(r: MessageReader): NodeOwnerIndexRequest {
  return {
    op: NodeOwnerIndexOp.REGISTER_NODE_OWNER,
    binding: r.bytes('node-owner binding', MAX_NODE_OWNER_BINDING_BYTES),
  }
}

/** Writes the body of a REGISTER_NODE_OWNER response. */
export function writeNodeOwnerResponse(w: MessageWriter, res: NodeOwnerIndexResponse): void {
  w.string(res.result.outcome).string((res.result.reason ?? '').slice(0, MAX_OUTCOME_BYTES))
}

/** Reads the body of a REGISTER_NODE_OWNER response. */
export function readNodeOwnerResponse(r: MessageReader): NodeOwnerIndexResponse {
  const outcome = r.string('outcome', MAX_OUTCOME_BYTES)
  if (outcome !== 'accepted' && outcome !== 'duplicate' && outcome !== 'rejected')
    r.fail(`unknown node-owner outcome ${outcome}`)
  const reason = r.string('reason', MAX_OUTCOME_BYTES)
  return {
    op: NodeOwnerIndexOp.REGISTER_NODE_OWNER,
    result: { outcome, ...(reason ? { reason } : {}) },
  }
}
