import { BinaryReader, BinaryWriter } from '../encoding/binary.js'
import { toHex } from '../encoding/bytes.js'
import { InvalidArgumentError, UnsupportedVersionError } from '../errors.js'
import { keccak256 } from '../ids/keccak.js'
import { addressToBytes, type EvmAddress, toChecksumAddress, toEvmAddress } from '../keys/address.js'
import type { TrafficReceipt } from './receipt.js'
import { verifyReceipt } from './receipt.js'
import type { Ticket } from './ticket.js'
import { verifyTicket } from './ticket.js'

const REPORT_MAGIC = Uint8Array.from([0x53, 0x45, 0x56, 0x52]) // "SEVR"
const REPORT_VERSION = 1
/** Most providers one report may list. */
export const MAX_REPORT_ENTRIES = 1 << 20

/** Traffic one provider served in an epoch. */
export interface VolumeEntry {
  readonly provider: EvmAddress
  readonly bytes: bigint
  readonly receipts: number
}

/** The epoch volume report: traffic per provider, sorted by provider address. */
export interface VolumeReport {
  readonly epoch: number
  readonly entries: readonly VolumeEntry[]
  readonly totalBytes: bigint
}

/** Why a receipt did not count. */
export interface RejectedReceipt {
  readonly receipt: TrafficReceipt
  readonly reason: string
}

/** Inputs of {@link buildVolumeReport}. */
export interface BuildVolumeReportOptions {
  /** Tickets by id, as the meta service issued them. */
  readonly tickets: ReadonlyMap<string, Ticket>
  /** The network whose traffic is reported: tickets and receipts of another are rejected. */
  readonly network: number
  /** Accepted ticket issuers. */
  readonly issuers: readonly string[]
  /**
   * Unix seconds the tickets are checked against: the epoch's end, so a ticket that expired later still
   * backs traffic served while it was valid.
   */
  readonly ticketTime: number
  /**
   * Bytes already counted against each ticket in earlier epochs or batches, by ticket id. A ticket's
   * allowance is for its whole life, not per epoch: pass the `ticketUsage` a previous call returned.
   */
  readonly ticketUsage?: ReadonlyMap<string, bigint>
  /** Receipt keys already counted in earlier calls (see `seenReceipts` in the result). */
  readonly seenReceipts?: ReadonlySet<string>
}

/** The result of {@link buildVolumeReport}. */
export interface VolumeReportResult {
  readonly report: VolumeReport
  readonly rejected: RejectedReceipt[]
  /** Ticket usage including this call's receipts: persist it and pass it to the next call. */
  readonly ticketUsage: Map<string, bigint>
  /** Receipt keys counted so far, including this call's: persist and pass on likewise. */
  readonly seenReceipts: Set<string>
}

/**
 * Aggregates receipts into an epoch volume report. A receipt counts only if its signature verifies, it
 * is for this epoch, its download ticket is known, valid and held by the receipt's downloader, the
 * ticket's byte allowance is not exceeded, and it is not a duplicate (same downloader, ticket, nonce).
 * Everything else is returned in `rejected` with the reason.
 *
 * @example
 * ```ts
 * const { report, rejected } = buildVolumeReport(epoch, receipts, { tickets, issuers: [meta.evmAddress], ticketTime })
 * ```
 */
export function buildVolumeReport(
  epoch: number,
  receipts: Iterable<TrafficReceipt>,
  options: BuildVolumeReportOptions,
): VolumeReportResult {
  const rejected: RejectedReceipt[] = []
  const seen = new Set<string>(options.seenReceipts ?? [])
  const usedPerTicket = new Map<string, bigint>(options.ticketUsage ?? [])
  const perProvider = new Map<EvmAddress, { bytes: bigint; receipts: number }>()
  for (const receipt of receipts) {
    const reject = (reason: string) => rejected.push({ receipt, reason })
    if (receipt.epoch !== epoch) {
      reject(`epoch ${receipt.epoch}, report is for ${epoch}`)
      continue
    }
    try {
      verifyReceipt(receipt, { network: options.network })
    } catch (err) {
      reject((err as Error).message)
      continue
    }
    // Addresses in one spelling: a receipt with a lower-case copy of an address must not count twice.
    const provider = toEvmAddress(receipt.provider)
    const downloader = toEvmAddress(receipt.downloader)
    const key = `${downloader}/${receipt.ticketId.toLowerCase()}/${receipt.nonce}`
    if (seen.has(key)) {
      reject('duplicate receipt')
      continue
    }
    const ticket = options.tickets.get(receipt.ticketId.toLowerCase())
    if (!ticket) {
      reject(`unknown ticket ${receipt.ticketId}`)
      continue
    }
    if (ticket.fileHash !== receipt.fileHash) {
      reject(`ticket ${ticket.id} is for ${ticket.fileHash}, not ${receipt.fileHash}`)
      continue
    }
    const used = (usedPerTicket.get(ticket.id) ?? 0n) + BigInt(receipt.bytes)
    try {
      verifyTicket(ticket, {
        issuers: options.issuers,
        network: options.network,
        now: options.ticketTime,
        kind: 'download',
        bytesUsed: used,
      })
      if (toEvmAddress(ticket.holder) !== downloader) throw new Error('ticket is held by another account')
    } catch (err) {
      reject((err as Error).message)
      continue
    }
    seen.add(key)
    usedPerTicket.set(ticket.id, used)
    const entry = perProvider.get(provider) ?? { bytes: 0n, receipts: 0 }
    entry.bytes += BigInt(receipt.bytes)
    entry.receipts += 1
    perProvider.set(provider, entry)
  }
  const entries = [...perProvider.entries()]
    .map(([provider, v]) => ({ provider, bytes: v.bytes, receipts: v.receipts }))
    .sort((a, b) => (a.provider.toLowerCase() < b.provider.toLowerCase() ? -1 : 1))
  const totalBytes = entries.reduce((sum, e) => sum + e.bytes, 0n)
  return { report: { epoch, entries, totalBytes }, rejected, ticketUsage: usedPerTicket, seenReceipts: seen }
}

/**
 * Deterministic binary encoding of a report; entries must be strictly sorted by provider address, as
 * {@link buildVolumeReport} returns them, so one report has one encoding and one digest.
 *
 * @example
 * ```ts
 * const digest = keccak256(encodeVolumeReport(report))
 * ```
 */
export function encodeVolumeReport(report: VolumeReport): Uint8Array {
  const w = new BinaryWriter()
    .fixed(REPORT_MAGIC)
    .u8(REPORT_VERSION)
    .u64(report.epoch)
    .varint(report.entries.length)
  let previous = ''
  for (const e of report.entries) {
    const bytes = addressToBytes(e.provider)
    const hex = toHex(bytes)
    if (hex <= previous)
      throw new InvalidArgumentError('Volume report entries must be strictly sorted by provider')
    previous = hex
    w.fixed(bytes).u64(e.bytes).u32(e.receipts)
  }
  return w.finish()
}

/** Decodes a report; throws DecodeError on garbage, truncation, unsorted or duplicate providers. */
export function decodeVolumeReport(bytes: Uint8Array): VolumeReport {
  const r: BinaryReader = new BinaryReader(bytes, 'volume report')
  r.magic(REPORT_MAGIC)
  const version = r.u8()
  if (version !== REPORT_VERSION)
    throw new UnsupportedVersionError(`Volume report version ${version} is not supported`)
  const epoch = r.safeU64('epoch')
  const count = r.varint('entry count', MAX_REPORT_ENTRIES)
  if (count * 32 > r.remaining) r.fail(`entry count ${count} exceeds the data`)
  const entries: VolumeEntry[] = []
  let previous = ''
  let totalBytes = 0n
  for (let i = 0; i < count; i++) {
    const providerBytes = r.fixed(20)
    const hex = toHex(providerBytes)
    if (hex <= previous) r.fail('providers not strictly sorted')
    previous = hex
    const entryBytes = r.u64()
    totalBytes += entryBytes
    entries.push({ provider: toChecksumAddress(providerBytes), bytes: entryBytes, receipts: r.u32() })
  }
  r.end()
  return { epoch, entries, totalBytes }
}

/** Keccak-256 of the encoded report: what the meta committee signs off on. */
export function volumeReportDigest(report: VolumeReport): `0x${string}` {
  return toHex(keccak256(encodeVolumeReport(report)))
}
