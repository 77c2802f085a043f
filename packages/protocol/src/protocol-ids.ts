/**
 * Protocol ids and limits. A protocol id carries its version; a change to any message layout gets a new
 * id, and nodes may serve several versions side by side.
 */

/** Fetch one slice (resumable from an offset). */
export const SLICE_FETCH_PROTOCOL = '/stratos-edge/slice-fetch/1.0.0'
/** Push slices, pipelined on one stream, each acknowledged once durably stored. */
export const SLICE_PUSH_PROTOCOL = '/stratos-edge/slice-push/1.0.0'
/**
 * The index: announce, withdraw, lookup, placement, manifests, manifest owners. A new request type leaves
 * the layouts of the others as they were, so it keeps the id: a node that does not know it refuses it as
 * malformed (an unknown request type), which its client tells apart.
 */
export const INDEX_PROTOCOL = '/stratos-edge/index/1.0.0'
/**
 * Receipts: a downloader hands a provider its newest cumulative receipts; the provider answers with its
 * address and which it holds.
 */
export const RECEIPT_PROTOCOL = '/stratos-edge/receipt/1.0.0'

/** Largest data piece in a DATA frame (256 KiB). */
export const MAX_PIECE_BYTES = 256 * 1024
/** Largest control frame (requests, headers, acks, errors). */
export const MAX_CONTROL_FRAME_BYTES = 64 * 1024
/** Largest index frame (a manifest travels in one). */
export const MAX_INDEX_FRAME_BYTES = 4 * 1024 * 1024
/** Largest frame on the slice protocols: a data piece plus its type byte, or a control frame. */
export const MAX_SLICE_FRAME_BYTES = MAX_PIECE_BYTES + 16
/** Most slice hashes in one announce, withdraw or lookup. */
export const MAX_HASHES_PER_MESSAGE = 4096
/** Most multiaddrs per peer in one message. */
export const MAX_MULTIADDRS = 32
/** Most owners in one manifest-owners answer (the owners who signed manifests of one file). */
export const MAX_MANIFEST_OWNERS = 16
/** Most forwarding targets in one push header. */
export const MAX_FORWARD_TARGETS = 8
