import {
  type FileHash,
  fileHashFromBytes,
  fileHashToBytes,
  InvalidArgumentError,
  MAX_MANIFEST_DELETE_BYTES,
} from '@stratos-edge/core'
import type { MessageReader } from '../codec/message-reader.js'
import type { MessageWriter } from '../codec/message-writer.js'
import { MAX_INDEX_FRAME_BYTES, MAX_MANIFEST_OWNERS } from '../protocol-ids.js'
import { MAX_TICKET_BYTES } from './upload-ticket-messages.js'

/** The manifest requests of the index protocol: put, get, list owners, delete. */
export const ManifestIndexOp = {
  PUT_MANIFEST: 0x25,
  GET_MANIFEST: 0x26,
  /** The owners who signed manifests of a file (newer than the others: older nodes refuse it). */
  MANIFEST_OWNERS: 0x27,
  /**
   * An owner-signed delete of its manifest of a file (core's `encodeManifestDelete`); the node drops that
   * manifest and lets go of slices no other manifest names (newer than the others).
   */
  DELETE_MANIFEST: 0x2b,
} as const
export type ManifestIndexOp = (typeof ManifestIndexOp)[keyof typeof ManifestIndexOp]

const MAX_ID = 64
/** An owner travels as its 20 address bytes. */
const OWNER_BYTES = 20

export type ManifestIndexRequest =
  /** With a ticket (core's `encodeTicket`): the upload ticket that pays for the file the manifest names. */
  | { op: typeof ManifestIndexOp.PUT_MANIFEST; manifest: Uint8Array; ticket?: Uint8Array }
  /** With an owner (an sdm:// URI's), the manifest that owner signed; without, any manifest of the file. */
  | { op: typeof ManifestIndexOp.GET_MANIFEST; fileHash: FileHash; owner?: Uint8Array }
  /** The owners who signed the manifests of the file the index holds. */
  | { op: typeof ManifestIndexOp.MANIFEST_OWNERS; fileHash: FileHash }
  | { op: typeof ManifestIndexOp.DELETE_MANIFEST; request: Uint8Array }

export type ManifestIndexResponse =
  | { op: typeof ManifestIndexOp.PUT_MANIFEST; fileHash: FileHash }
  | { op: typeof ManifestIndexOp.GET_MANIFEST; manifest: Uint8Array }
  /** The 20-byte addresses of the owners, at most {@link MAX_MANIFEST_OWNERS} (more are not sent). */
  | { op: typeof ManifestIndexOp.MANIFEST_OWNERS; owners: Uint8Array[] }
  /** Whether the node held the owner's manifest and dropped it. */
  | { op: typeof ManifestIndexOp.DELETE_MANIFEST; dropped: boolean }

/** Reads a file hash field (the manifest requests', and PLACE's); a malformed one fails the message. */
export function readFileHash(r: MessageReader): FileHash {
  const b = r.bytes('file hash', MAX_ID)
  try {
    return fileHashFromBytes(b)
  } catch {
    r.fail('invalid file hash')
  }
}

/** Writes the body of a manifest request. */
export function writeManifestRequest(w: MessageWriter, req: ManifestIndexRequest): void {
  switch (req.op) {
    case ManifestIndexOp.PUT_MANIFEST:
      w.bytes(req.manifest)
      // Optional, at the end, like GET_MANIFEST's owner.
      if (req.ticket) w.bytes(req.ticket)
      break
    case ManifestIndexOp.GET_MANIFEST:
      w.bytes(fileHashToBytes(req.fileHash))
      // Optional, at the end: requests without it stay readable by older nodes and the other way round.
      if (req.owner) w.raw(req.owner)
      break
    case ManifestIndexOp.MANIFEST_OWNERS:
      w.bytes(fileHashToBytes(req.fileHash))
      break
    case ManifestIndexOp.DELETE_MANIFEST:
      w.bytes(req.request)
      break
  }
}

/** Reads the body of a manifest request of type `op`. */
export function readManifestRequest(r: MessageReader, op: ManifestIndexOp): ManifestIndexRequest {
  switch (op) {
    case ManifestIndexOp.PUT_MANIFEST: {
      const manifest = r.bytes('manifest', MAX_INDEX_FRAME_BYTES)
      return r.remaining > 0
        ? { op, manifest, ticket: r.bytes('ticket', MAX_TICKET_BYTES) }
        : { op, manifest }
    }
    case ManifestIndexOp.GET_MANIFEST: {
      const fileHash = readFileHash(r)
      return r.remaining > 0 ? { op, fileHash, owner: r.fixed('owner', OWNER_BYTES) } : { op, fileHash }
    }
    case ManifestIndexOp.MANIFEST_OWNERS:
      return { op, fileHash: readFileHash(r) }
    case ManifestIndexOp.DELETE_MANIFEST:
      return { op, request: r.bytes('manifest delete', MAX_MANIFEST_DELETE_BYTES) }
  }
}

/** Writes the body of a manifest response. */
export function writeManifestResponse(w: MessageWriter, res: ManifestIndexResponse): void {
  switch (res.op) {
    case ManifestIndexOp.PUT_MANIFEST:
      w.bytes(fileHashToBytes(res.fileHash))
      break
    case ManifestIndexOp.GET_MANIFEST:
      w.bytes(res.manifest)
      break
    case ManifestIndexOp.MANIFEST_OWNERS: {
      // Fixed-size entries: a count, then 20 bytes per owner.
      const owners = res.owners.slice(0, MAX_MANIFEST_OWNERS)
      for (const o of owners) {
        if (o.length !== OWNER_BYTES) {
          throw new InvalidArgumentError(
            `An owner address is ${o.length} bytes, not ${OWNER_BYTES}`,
            'Pass 20-byte addresses (core addressToBytes)',
          )
        }
      }
      w.varint(owners.length)
      for (const o of owners) w.raw(o)
      break
    }
    case ManifestIndexOp.DELETE_MANIFEST:
      w.u8(res.dropped ? 1 : 0)
      break
  }
}

/** Reads the body of a manifest response to a request of type `op`. */
export function readManifestResponse(r: MessageReader, op: ManifestIndexOp): ManifestIndexResponse {
  switch (op) {
    case ManifestIndexOp.PUT_MANIFEST:
      return { op, fileHash: readFileHash(r) }
    case ManifestIndexOp.GET_MANIFEST:
      return { op, manifest: r.bytes('manifest', MAX_INDEX_FRAME_BYTES) }
    case ManifestIndexOp.MANIFEST_OWNERS: {
      const n = r.varint('owner count', MAX_MANIFEST_OWNERS)
      const owners: Uint8Array[] = []
      for (let i = 0; i < n; i++) owners.push(r.fixed('owner', OWNER_BYTES))
      return { op, owners }
    }
    case ManifestIndexOp.DELETE_MANIFEST:
      return { op, dropped: r.u8() === 1 }
  }
}
