import {
  type FileHash,
  fileHashToBytes,
  type SliceHash,
  sliceHashFromBytes,
  sliceHashToBytes,
} from '@stratos-edge/core'
import { MessageReader } from '../codec/message-reader.js'
import { MessageWriter } from '../codec/message-writer.js'
import { MAX_HASHES_PER_MESSAGE } from '../protocol-ids.js'
import { decodePeerAddress, encodePeerAddress, type PeerAddress } from '../slices/slice-messages.js'
import * as manifest from './manifest-messages.js'
import { readFileHash } from './manifest-messages.js'
import * as nodeOwner from './node-owner-messages.js'
import * as selfReport from './self-report-messages.js'
import * as traffic from './traffic-messages.js'
import * as uploadTicket from './upload-ticket-messages.js'

/** Request types of the index protocol; a response has the request's type with the high bit set. */
export const IndexOp = {
  ANNOUNCE: 0x21,
  WITHDRAW: 0x22,
  LOOKUP: 0x23,
  PLACE: 0x24,
  /** Put, get, list owners (0x25-0x27) and delete (0x2b) manifests (manifest-messages.ts). */
  ...manifest.ManifestIndexOp,
  /**
   * Which of the named peers the meta service's registry lists as resource nodes, with the addresses it
   * knows for them (newer than the others: older nodes refuse it). A node forwards only to these.
   */
  RESOURCE_NODES: 0x28,
  /** An upload ticket for an owner-signed request (upload-ticket-messages.ts). */
  ...uploadTicket.UploadTicketIndexOp,
  /** Proof of Traffic: download tickets, receipts, status, reward proofs (traffic-messages.ts). */
  ...traffic.TrafficIndexOp,
  /** A gateway's self-report of its anonymous HTTP traffic (self-report-messages.ts). */
  ...selfReport.SelfReportIndexOp,
  /** A node's binding to its owner's wallet, for the self-dealing rule (node-owner-messages.ts). */
  ...nodeOwner.NodeOwnerIndexOp,
} as const
export type IndexOp = (typeof IndexOp)[keyof typeof IndexOp]

const INDEX_OP_NAMES = new Map<number, string>(
  Object.entries(IndexOp).map(([name, code]) => [code, name.toLowerCase()]),
)

/** The lower-case name of a request type (`lookup`, `manifest_owners`…), for metrics and logs. */
export function indexOpName(op: IndexOp): string {
  return INDEX_OP_NAMES.get(op) ?? `0x${op.toString(16)}`
}

/** The response type of a request type. */
export const RESPONSE_BIT = 0x80

/** What kind of node a peer is. */
export type NodeKind = 'light' | 'resource'
const KIND_CODES: Record<NodeKind, number> = { light: 1, resource: 2 }

/** A peer that holds slices or can take them. */
export interface ProviderRecord extends PeerAddress {
  kind: NodeKind
}

/** ANNOUNCE: the sender holds these slices (the sender is the authenticated remote peer). */
export interface Announcement {
  kind: NodeKind
  /** Where others can dial the sender (for browsers: circuit-relay addresses). */
  multiaddrs: string[]
  /** Bytes the sender can still take (0: not a storage target). */
  freeBytes: number
  /** When true, `hashes` is the sender's complete list: anything else it announced before is dropped. */
  replace: boolean
  hashes: SliceHash[]
}

/** PLACE: where should the slices of a file go. */
export interface PlacementRequest {
  fileHash: FileHash
  size: number
  /** Copies wanted, each on a distinct peer (default 2). */
  replicas: number
  /** Peer ids not to use (e.g. ones that just failed). */
  exclude: string[]
}

/** A decoded index request. */
export type IndexRequest =
  | { op: typeof IndexOp.ANNOUNCE; announcement: Announcement }
  | { op: typeof IndexOp.WITHDRAW; hashes: SliceHash[] }
  | { op: typeof IndexOp.LOOKUP; hashes: SliceHash[]; limit: number }
  | { op: typeof IndexOp.PLACE; placement: PlacementRequest }
  | manifest.ManifestIndexRequest
  /** Peer ids, at most {@link MAX_RESOURCE_NODE_QUERY}. */
  | { op: typeof IndexOp.RESOURCE_NODES; peerIds: string[] }
  | uploadTicket.UploadTicketIndexRequest
  | traffic.TrafficIndexRequest
  | selfReport.SelfReportIndexRequest
  | nodeOwner.NodeOwnerIndexRequest

/** A decoded index response. */
export type IndexResponse =
  | { op: typeof IndexOp.ANNOUNCE }
  | { op: typeof IndexOp.WITHDRAW }
  | { op: typeof IndexOp.LOOKUP; results: Map<SliceHash, ProviderRecord[]> }
  | { op: typeof IndexOp.PLACE; targets: ProviderRecord[] }
  | manifest.ManifestIndexResponse
  /** The registered resource nodes among those asked about (the others are left out). */
  | { op: typeof IndexOp.RESOURCE_NODES; nodes: ProviderRecord[] }
  | uploadTicket.UploadTicketIndexResponse
  | traffic.TrafficIndexResponse
  | selfReport.SelfReportIndexResponse
  | nodeOwner.NodeOwnerIndexResponse

const MAX_PROVIDERS = 64
/** Peer ids asked about in one RESOURCE_NODES request (a forward list holds at most 8). */
export const MAX_RESOURCE_NODE_QUERY = 64
const MAX_ID = 64

function writeHashes(w: MessageWriter, hashes: readonly SliceHash[]): void {
  w.varint(hashes.length)
  for (const h of hashes) w.bytes(sliceHashToBytes(h))
}

function readSliceHash(r: MessageReader): SliceHash {
  const b = r.bytes('slice hash', MAX_ID)
  try {
    return sliceHashFromBytes(b)
  } catch {
    r.fail('invalid slice hash')
  }
}

function readHashes(r: MessageReader): SliceHash[] {
  const n = r.varint('hash count', MAX_HASHES_PER_MESSAGE)
  const out: SliceHash[] = []
  for (let i = 0; i < n; i++) out.push(readSliceHash(r))
  return out
}

function readKind(r: MessageReader): NodeKind {
  const k = r.u8()
  if (k === KIND_CODES.light) return 'light'
  if (k === KIND_CODES.resource) return 'resource'
  r.fail(`unknown node kind ${k}`)
}

function writeProvider(w: MessageWriter, p: ProviderRecord): void {
  encodePeerAddress(w, p)
  w.u8(KIND_CODES[p.kind])
}

function readProvider(r: MessageReader): ProviderRecord {
  const addr = decodePeerAddress(r)
  return { ...addr, kind: readKind(r) }
}

/** Encodes an index request body. */
export function encodeIndexRequest(req: IndexRequest): Uint8Array {
  const w = new MessageWriter().u8(req.op)
  switch (req.op) {
    case IndexOp.ANNOUNCE: {
      const a = req.announcement
      w.u8(KIND_CODES[a.kind]).varint(a.multiaddrs.length)
      for (const m of a.multiaddrs) w.string(m)
      w.varint(a.freeBytes).u8(a.replace ? 1 : 0)
      writeHashes(w, a.hashes)
      break
    }
    case IndexOp.WITHDRAW:
      writeHashes(w, req.hashes)
      break
    case IndexOp.LOOKUP:
      w.varint(req.limit)
      writeHashes(w, req.hashes)
      break
    case IndexOp.PLACE: {
      const p = req.placement
      w.bytes(fileHashToBytes(p.fileHash)).varint(p.size).varint(p.replicas).varint(p.exclude.length)
      for (const e of p.exclude) w.string(e)
      break
    }
    case IndexOp.PUT_MANIFEST:
    case IndexOp.GET_MANIFEST:
    case IndexOp.MANIFEST_OWNERS:
    case IndexOp.DELETE_MANIFEST:
      manifest.writeManifestRequest(w, req)
      break
    case IndexOp.RESOURCE_NODES:
      w.varint(Math.min(req.peerIds.length, MAX_RESOURCE_NODE_QUERY))
      for (const id of req.peerIds.slice(0, MAX_RESOURCE_NODE_QUERY)) w.string(id)
      break
    case IndexOp.REQUEST_TICKET:
      uploadTicket.writeUploadTicketRequest(w, req)
      break
    case IndexOp.SUBMIT_SELF_REPORT:
      selfReport.writeSelfReportRequest(w, req)
      break
    case IndexOp.REGISTER_NODE_OWNER:
      nodeOwner.writeNodeOwnerRequest(w, req)
      break
    default:
      traffic.writeTrafficRequest(w, req)
  }
  return w.finish()
}

/** Decodes an index request body; throws DecodeError. */
export function decodeIndexRequest(body: Uint8Array): IndexRequest {
  const r: MessageReader = new MessageReader(body, 'index request')
  const op = r.u8()
  let req: IndexRequest
  switch (op) {
    case IndexOp.ANNOUNCE: {
      const kind = readKind(r)
      const n = r.varint('multiaddr count', 32)
      const multiaddrs: string[] = []
      for (let i = 0; i < n; i++) multiaddrs.push(r.string('multiaddr', 512))
      const freeBytes = r.varint('free bytes')
      const replace = r.u8() === 1
      req = { op, announcement: { kind, multiaddrs, freeBytes, replace, hashes: readHashes(r) } }
      break
    }
    case IndexOp.WITHDRAW:
      req = { op, hashes: readHashes(r) }
      break
    case IndexOp.LOOKUP: {
      const limit = r.varint('limit', MAX_PROVIDERS)
      req = { op, limit, hashes: readHashes(r) }
      break
    }
    case IndexOp.PLACE: {
      const fileHash = readFileHash(r)
      const size = r.varint('size')
      const replicas = r.varint('replicas', 16)
      const n = r.varint('exclude count', 64)
      const exclude: string[] = []
      for (let i = 0; i < n; i++) exclude.push(r.string('peer id', 128))
      req = { op, placement: { fileHash, size, replicas, exclude } }
      break
    }
    case IndexOp.PUT_MANIFEST:
    case IndexOp.GET_MANIFEST:
    case IndexOp.MANIFEST_OWNERS:
    case IndexOp.DELETE_MANIFEST:
      req = manifest.readManifestRequest(r, op)
      break
    case IndexOp.RESOURCE_NODES: {
      const n = r.varint('peer id count', MAX_RESOURCE_NODE_QUERY)
      const peerIds: string[] = []
      for (let i = 0; i < n; i++) peerIds.push(r.string('peer id', 128))
      req = { op, peerIds }
      break
    }
    case IndexOp.REQUEST_TICKET:
      req = uploadTicket.readUploadTicketRequest(r)
      break
    case IndexOp.SUBMIT_SELF_REPORT:
      req = selfReport.readSelfReportRequest(r)
      break
    case IndexOp.REGISTER_NODE_OWNER:
      req = nodeOwner.readNodeOwnerRequest(r)
      break
    default:
      req = traffic.readTrafficRequest(r, op)
  }
  r.end()
  return req
}

/** Encodes an index response body. */
export function encodeIndexResponse(res: IndexResponse): Uint8Array {
  const w = new MessageWriter().u8(res.op | RESPONSE_BIT)
  switch (res.op) {
    case IndexOp.LOOKUP:
      w.varint(res.results.size)
      for (const [hash, providers] of res.results) {
        w.bytes(sliceHashToBytes(hash)).varint(Math.min(providers.length, MAX_PROVIDERS))
        for (const p of providers.slice(0, MAX_PROVIDERS)) writeProvider(w, p)
      }
      break
    case IndexOp.PLACE:
      w.varint(res.targets.length)
      for (const p of res.targets) writeProvider(w, p)
      break
    case IndexOp.PUT_MANIFEST:
    case IndexOp.GET_MANIFEST:
    case IndexOp.MANIFEST_OWNERS:
    case IndexOp.DELETE_MANIFEST:
      manifest.writeManifestResponse(w, res)
      break
    case IndexOp.RESOURCE_NODES: {
      const nodes = res.nodes.slice(0, MAX_RESOURCE_NODE_QUERY)
      w.varint(nodes.length)
      for (const p of nodes) writeProvider(w, p)
      break
    }
    case IndexOp.REQUEST_TICKET:
      uploadTicket.writeUploadTicketResponse(w, res)
      break
    case IndexOp.ANNOUNCE:
    case IndexOp.WITHDRAW:
      break
    case IndexOp.SUBMIT_SELF_REPORT:
      selfReport.writeSelfReportResponse(w, res)
      break
    case IndexOp.REGISTER_NODE_OWNER:
      nodeOwner.writeNodeOwnerResponse(w, res)
      break
    default:
      traffic.writeTrafficResponse(w, res)
  }
  return w.finish()
}

/** Decodes an index response body for a request of type `op`; throws DecodeError. */
export function decodeIndexResponse(body: Uint8Array, op: IndexOp): IndexResponse {
  const r: MessageReader = new MessageReader(body, 'index response')
  if (r.u8() !== (op | RESPONSE_BIT)) r.fail('response type does not match the request')
  let res: IndexResponse
  switch (op) {
    case IndexOp.ANNOUNCE:
    case IndexOp.WITHDRAW:
      res = { op }
      break
    case IndexOp.LOOKUP: {
      const n = r.varint('result count', MAX_HASHES_PER_MESSAGE)
      const results = new Map<SliceHash, ProviderRecord[]>()
      for (let i = 0; i < n; i++) {
        const hash = readSliceHash(r)
        const m = r.varint('provider count', MAX_PROVIDERS)
        const providers: ProviderRecord[] = []
        for (let j = 0; j < m; j++) providers.push(readProvider(r))
        results.set(hash, providers)
      }
      res = { op, results }
      break
    }
    case IndexOp.PLACE: {
      const n = r.varint('target count', MAX_PROVIDERS)
      const targets: ProviderRecord[] = []
      for (let i = 0; i < n; i++) targets.push(readProvider(r))
      res = { op, targets }
      break
    }
    case IndexOp.PUT_MANIFEST:
    case IndexOp.GET_MANIFEST:
    case IndexOp.MANIFEST_OWNERS:
    case IndexOp.DELETE_MANIFEST:
      res = manifest.readManifestResponse(r, op)
      break
    case IndexOp.RESOURCE_NODES: {
      const n = r.varint('node count', MAX_RESOURCE_NODE_QUERY)
      const nodes: ProviderRecord[] = []
      for (let i = 0; i < n; i++) nodes.push(readProvider(r))
      res = { op, nodes }
      break
    }
    case IndexOp.REQUEST_TICKET:
      res = uploadTicket.readUploadTicketResponse(r)
      break
    case IndexOp.SUBMIT_SELF_REPORT:
      res = selfReport.readSelfReportResponse(r)
      break
    case IndexOp.REGISTER_NODE_OWNER:
      res = nodeOwner.readNodeOwnerResponse(r)
      break
    default:
      res = traffic.readTrafficResponse(r, op)
  }
  r.end()
  return res
}
