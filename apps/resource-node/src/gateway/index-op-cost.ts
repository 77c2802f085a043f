import { IndexOp, type IndexRequest } from '@stratos-edge/protocol'

/** Hashes (or receipts) one unit of an index request's cost pays for. */
const HASHES_PER_UNIT = 64

/**
 * Units ops whose answer needs a signature check, a disk or ledger write: manifests put or deleted,
 * tickets, self-reports. A lookup of a few hashes costs 1.
 */
const SIGNED_OP_UNITS = 10

/**
 * What one index request costs against its peer's index bucket, in units (one unit: a small lookup).
 * Lookups, announces and withdrawals cost one unit plus one per 64 hashes they name (an announce of
 * 1,000 hashes: 16); ops that check a signature or write to disk or the ledger cost 10; receipts cost
 * one unit per 8 (each is a signature). The rest (placement, manifest reads, status) cost 1.
 *
 * @example
 * ```ts
 * indexOpCost({ op: IndexOp.LOOKUP, hashes, limit: 8 }) // 1 + Math.floor(hashes.length / 64)
 * ```
 */
export function indexOpCost(request: IndexRequest): number {
  switch (request.op) {
    case IndexOp.LOOKUP:
    case IndexOp.WITHDRAW:
      return 1 + Math.floor(request.hashes.length / HASHES_PER_UNIT)
    case IndexOp.ANNOUNCE:
      return 1 + Math.floor(request.announcement.hashes.length / HASHES_PER_UNIT)
    case IndexOp.PUT_MANIFEST:
    case IndexOp.DELETE_MANIFEST:
    case IndexOp.REQUEST_TICKET:
    case IndexOp.REQUEST_DOWNLOAD_TICKET:
    case IndexOp.SUBMIT_SELF_REPORT:
      return SIGNED_OP_UNITS
    case IndexOp.SUBMIT_RECEIPTS:
      return 1 + Math.ceil(request.receipts.length / 8)
    default:
      return 1
  }
}
