import { addressToBytes, InvalidArgumentError, toChecksumAddress } from '@stratos-edge/core'
import type { MessageReader } from '../codec/message-reader.js'
import type { MessageWriter } from '../codec/message-writer.js'
import { MAX_INDEX_FRAME_BYTES } from '../protocol-ids.js'

/**
 * Proof of Traffic requests of the index protocol (newer than the others: older nodes refuse them as
 * malformed). See docs/proof-of-traffic.md.
 */
export const TrafficIndexOp = {
  /**
   * A download ticket for a downloader-signed request (core's `encodeDownloadTicketRequest`); the meta
   * service reserves the file owner's ozone and answers core's `encodeTicket` (kind download).
   */
  REQUEST_DOWNLOAD_TICKET: 0x2a,
  /** Up to {@link MAX_RECEIPTS_PER_SUBMIT} encoded receipts (core's `encodeReceipt`) a provider earned. */
  SUBMIT_RECEIPTS: 0x30,
  /** The epoch clock and, for an account, its traffic epochs and rewards. */
  TRAFFIC_STATUS: 0x31,
  /** The Merkle proof of an account's reward in a settled epoch. */
  REWARD_PROOF: 0x32,
} as const
export type TrafficIndexOp = (typeof TrafficIndexOp)[keyof typeof TrafficIndexOp]

/** Most receipts in one SUBMIT_RECEIPTS request. */
export const MAX_RECEIPTS_PER_SUBMIT = 1024
/** Largest encoded receipt taken (core's are 214 bytes; room for a later version). */
const MAX_RECEIPT_BYTES = 512
/** Largest encoded download ticket request or ticket (both about 250 bytes). */
const MAX_TICKET_BYTES = 512
const MAX_REASON_BYTES = 64
/** Most sibling hashes in a reward proof (a tree of 2^64 leaves). */
export const MAX_REWARD_PROOF_LENGTH = 64
const ACCOUNT_BYTES = 20
const HASH_BYTES = 32

/** One account's share of one epoch, as the meta service sees it. */
export interface TrafficEpochStatus {
  epoch: number
  /** Bytes counted for the account in the epoch. */
  bytes: number
  receipts: number
  /** Wei, as a decimal string. */
  reward: string
  settled: boolean
  rootPosted: boolean
  claimed: boolean
}

/** TRAFFIC_STATUS's answer. Amounts are decimal wei strings. */
export interface TrafficStatus {
  network: number
  genesisMs: number
  epochMs: number
  currentEpoch: number
  lateWindowMs: number
  /** The `TrafficRewards` contract roots are posted to, when the meta service posts them. */
  trafficRewards?: `0x${string}`
  /** The address that signs this meta service's tickets: providers credit receipts under its tickets only. */
  ticketIssuer?: `0x${string}`
  /** Empty when no account was asked about. */
  epochs: TrafficEpochStatus[]
  pending: string
  claimable: string
  claimed: string
}

/** REWARD_PROOF's answer: what `TrafficRewards.claim(epoch, account, amount, proof)` takes. */
export interface RewardProof {
  epoch: number
  /** Checksummed. */
  account: `0x${string}`
  /** Wei, as a decimal string. */
  amount: string
  proof: `0x${string}`[]
}

/** SUBMIT_RECEIPTS's answer: how many receipts counted, and why each other one did not. */
export interface SubmitReceiptsResult {
  /** Receipts that count: held now, or held already (a resubmission is not refused, and counts once). */
  accepted: number
  rejected: { index: number; reason: string }[]
}

/** A decoded Proof of Traffic index request. */
export type TrafficIndexRequest =
  | { op: typeof TrafficIndexOp.REQUEST_DOWNLOAD_TICKET; request: Uint8Array }
  | { op: typeof TrafficIndexOp.SUBMIT_RECEIPTS; receipts: Uint8Array[] }
  /** `account`: 20 address bytes, or none for the clock fields only. */
  | { op: typeof TrafficIndexOp.TRAFFIC_STATUS; account?: Uint8Array }
  | { op: typeof TrafficIndexOp.REWARD_PROOF; epoch: number; account: Uint8Array }

/** A decoded Proof of Traffic index response. */
export type TrafficIndexResponse =
  /** The signed ticket (core's `encodeTicket`). */
  | { op: typeof TrafficIndexOp.REQUEST_DOWNLOAD_TICKET; ticket: Uint8Array }
  | { op: typeof TrafficIndexOp.SUBMIT_RECEIPTS; result: SubmitReceiptsResult }
  | { op: typeof TrafficIndexOp.TRAFFIC_STATUS; status: TrafficStatus }
  | { op: typeof TrafficIndexOp.REWARD_PROOF; proof: RewardProof }

const DECIMAL = /^(0|[1-9][0-9]{0,77})$/
const ADDRESS = /^0x[0-9a-fA-F]{40}$/

function hexOf(bytes: Uint8Array): `0x${string}` {
  let s = '0x'
  for (const b of bytes) s += b.toString(16).padStart(2, '0')
  return s as `0x${string}`
}

function bytesOfHex(hex: string, n: number, what: string): Uint8Array {
  if (hex.length !== 2 + 2 * n || !/^0x[0-9a-fA-F]*$/.test(hex)) {
    throw new InvalidArgumentError(
      `${what} ${hex} is not ${n} bytes of hex`,
      `Pass 0x and ${2 * n} hex digits`,
    )
  }
  const out = new Uint8Array(n)
  for (let i = 0; i < n; i++) out[i] = Number.parseInt(hex.slice(2 + 2 * i, 4 + 2 * i), 16)
  return out
}

function checkAccount(account: Uint8Array): void {
  if (account.length !== ACCOUNT_BYTES) {
    throw new InvalidArgumentError(
      `An account is ${account.length} bytes, not ${ACCOUNT_BYTES}`,
      'Pass 20-byte addresses (core addressToBytes)',
    )
  }
}

function checkDecimal(value: string, what: string): void {
  if (!DECIMAL.test(value))
    throw new InvalidArgumentError(`${what} ${value} is not a decimal wei amount`, 'Pass amount.toString()')
}

/** Writes the body of a Proof of Traffic request (after its type byte). */
export function writeTrafficRequest(w: MessageWriter, req: TrafficIndexRequest): void {
  switch (req.op) {
    case TrafficIndexOp.REQUEST_DOWNLOAD_TICKET:
      w.bytes(req.request)
      break
    case TrafficIndexOp.SUBMIT_RECEIPTS:
      if (req.receipts.length > MAX_RECEIPTS_PER_SUBMIT) {
        throw new InvalidArgumentError(
          `${req.receipts.length} receipts in one submission, at most ${MAX_RECEIPTS_PER_SUBMIT}`,
          'Submit them in batches',
        )
      }
      w.varint(req.receipts.length)
      for (const r of req.receipts) w.bytes(r)
      break
    case TrafficIndexOp.TRAFFIC_STATUS:
      // Optional, the whole body: empty asks for the clock only.
      if (req.account) {
        checkAccount(req.account)
        w.raw(req.account)
      }
      break
    case TrafficIndexOp.REWARD_PROOF:
      checkAccount(req.account)
      w.varint(req.epoch).raw(req.account)
      break
  }
}

/** Reads the body of a Proof of Traffic request of type `op`; fails on any other type. */
export function readTrafficRequest(r: MessageReader, op: number): TrafficIndexRequest {
  switch (op) {
    case TrafficIndexOp.REQUEST_DOWNLOAD_TICKET:
      return { op, request: r.bytes('download ticket request', MAX_TICKET_BYTES) }
    case TrafficIndexOp.SUBMIT_RECEIPTS: {
      const n = r.varint('receipt count', MAX_RECEIPTS_PER_SUBMIT)
      const receipts: Uint8Array[] = []
      for (let i = 0; i < n; i++) receipts.push(r.bytes('receipt', MAX_RECEIPT_BYTES))
      return { op, receipts }
    }
    case TrafficIndexOp.TRAFFIC_STATUS:
      return r.remaining > 0 ? { op, account: r.fixed('account', ACCOUNT_BYTES) } : { op }
    case TrafficIndexOp.REWARD_PROOF: {
      const epoch = r.varint('epoch')
      return { op, epoch, account: r.fixed('account', ACCOUNT_BYTES) }
    }
    default:
      r.fail(`unknown request type 0x${op.toString(16)}`)
  }
}

/** Writes the body of a Proof of Traffic response (after its type byte). */
export function writeTrafficResponse(w: MessageWriter, res: TrafficIndexResponse): void {
  switch (res.op) {
    case TrafficIndexOp.REQUEST_DOWNLOAD_TICKET:
      w.bytes(res.ticket)
      break
    case TrafficIndexOp.SUBMIT_RECEIPTS: {
      const { accepted, rejected } = res.result
      w.varint(accepted).varint(rejected.length)
      for (const x of rejected) w.varint(x.index).string(x.reason.slice(0, MAX_REASON_BYTES))
      break
    }
    case TrafficIndexOp.TRAFFIC_STATUS:
      for (const a of [res.status.pending, res.status.claimable, res.status.claimed])
        checkDecimal(a, 'Amount')
      w.string(JSON.stringify(res.status))
      break
    case TrafficIndexOp.REWARD_PROOF: {
      const p = res.proof
      checkDecimal(p.amount, 'Reward')
      w.varint(p.epoch).raw(addressToBytes(p.account)).string(p.amount)
      w.varint(p.proof.length)
      for (const h of p.proof) w.raw(bytesOfHex(h, HASH_BYTES, 'Proof hash'))
      break
    }
  }
}

function isUint(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0
}

function isDecimal(x: unknown): x is string {
  return typeof x === 'string' && DECIMAL.test(x)
}

function readStatus(r: MessageReader): TrafficStatus {
  const text = r.string('traffic status', MAX_INDEX_FRAME_BYTES)
  let s: Record<string, unknown>
  try {
    s = JSON.parse(text) as Record<string, unknown>
  } catch {
    r.fail('traffic status is not JSON')
  }
  if (typeof s !== 'object' || s === null) r.fail('traffic status is not an object')
  for (const k of ['network', 'genesisMs', 'epochMs', 'currentEpoch', 'lateWindowMs'] as const)
    if (!isUint(s[k])) r.fail(`traffic status ${k} is not a whole number`)
  for (const k of ['pending', 'claimable', 'claimed'] as const)
    if (!isDecimal(s[k])) r.fail(`traffic status ${k} is not a decimal amount`)
  if (
    s.trafficRewards !== undefined &&
    !(typeof s.trafficRewards === 'string' && ADDRESS.test(s.trafficRewards))
  )
    r.fail('traffic status trafficRewards is not an address')
  if (s.ticketIssuer !== undefined && !(typeof s.ticketIssuer === 'string' && ADDRESS.test(s.ticketIssuer)))
    r.fail('traffic status ticketIssuer is not an address')
  if (!Array.isArray(s.epochs)) r.fail('traffic status epochs is not a list')
  const epochs: TrafficEpochStatus[] = s.epochs.map((e: Record<string, unknown>) => {
    if (typeof e !== 'object' || e === null) r.fail('traffic status epoch is not an object')
    if (!isUint(e.epoch) || !isUint(e.bytes) || !isUint(e.receipts) || !isDecimal(e.reward))
      r.fail('traffic status epoch has a bad number')
    if (typeof e.settled !== 'boolean' || typeof e.rootPosted !== 'boolean' || typeof e.claimed !== 'boolean')
      r.fail('traffic status epoch has a bad flag')
    return {
      epoch: e.epoch,
      bytes: e.bytes,
      receipts: e.receipts,
      reward: e.reward,
      settled: e.settled,
      rootPosted: e.rootPosted,
      claimed: e.claimed,
    }
  })
  return {
    network: s.network as number,
    genesisMs: s.genesisMs as number,
    epochMs: s.epochMs as number,
    currentEpoch: s.currentEpoch as number,
    lateWindowMs: s.lateWindowMs as number,
    ...(s.trafficRewards !== undefined ? { trafficRewards: s.trafficRewards as `0x${string}` } : {}),
    ...(s.ticketIssuer !== undefined ? { ticketIssuer: s.ticketIssuer as `0x${string}` } : {}),
    epochs,
    pending: s.pending as string,
    claimable: s.claimable as string,
    claimed: s.claimed as string,
  }
}

/** Reads the body of a Proof of Traffic response of type `op`. */
export function readTrafficResponse(r: MessageReader, op: TrafficIndexOp): TrafficIndexResponse {
  switch (op) {
    case TrafficIndexOp.REQUEST_DOWNLOAD_TICKET:
      return { op, ticket: r.bytes('ticket', MAX_TICKET_BYTES) }
    case TrafficIndexOp.SUBMIT_RECEIPTS: {
      const accepted = r.varint('accepted', MAX_RECEIPTS_PER_SUBMIT)
      const n = r.varint('rejected count', MAX_RECEIPTS_PER_SUBMIT)
      const rejected: { index: number; reason: string }[] = []
      for (let i = 0; i < n; i++) {
        const index = r.varint('rejected index', MAX_RECEIPTS_PER_SUBMIT - 1)
        rejected.push({ index, reason: r.string('reason', MAX_REASON_BYTES) })
      }
      return { op, result: { accepted, rejected } }
    }
    case TrafficIndexOp.TRAFFIC_STATUS:
      return { op, status: readStatus(r) }
    case TrafficIndexOp.REWARD_PROOF: {
      const epoch = r.varint('epoch')
      const account = toChecksumAddress(r.fixed('account', ACCOUNT_BYTES))
      const amount = r.string('amount', 78)
      if (!DECIMAL.test(amount)) r.fail('reward amount is not a decimal number')
      const n = r.varint('proof length', MAX_REWARD_PROOF_LENGTH)
      const proof: `0x${string}`[] = []
      for (let i = 0; i < n; i++) proof.push(hexOf(r.fixed('proof hash', HASH_BYTES)))
      return { op, proof: { epoch, account, amount, proof } }
    }
    default:
      r.fail('unknown op')
  }
}
