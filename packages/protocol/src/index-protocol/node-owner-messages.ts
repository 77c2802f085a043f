import type { MessageReader } from '../codec/message-reader.js'
import type { MessageWriter } from '../codec/message-writer.js'
import { type RecordOutcome, readRecordOutcome, writeRecordOutcome } from './outcome-messages.js'

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

/** REGISTER_NODE_OWNER's answer: kept (`accepted`), kept already (`duplicate`), or refused with a reason. */
export type RegisterNodeOwnerResult = RecordOutcome

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
  writeRecordOutcome(w, res.result)
}

/** Reads the body of a REGISTER_NODE_OWNER response. */
export function readNodeOwnerResponse(r: MessageReader): NodeOwnerIndexResponse {
  return { op: NodeOwnerIndexOp.REGISTER_NODE_OWNER, result: readRecordOutcome(r, 'node-owner') }
}
