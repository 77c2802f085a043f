import { BinaryReader, BinaryWriter } from '../encoding/binary.js'
import { fromHex, toHex } from '../encoding/bytes.js'
import { InvalidTicketError, UnsupportedVersionError } from '../errors.js'
import { type FileHash, fileHashFromBytes, fileHashToBytes } from '../ids/file-hash.js'
import { addressToBytes, type EvmAddress, toChecksumAddress, toEvmAddress } from '../keys/address.js'
import { STRATOS_EDGE_DOMAIN } from '../signatures/domain.js'
import { recoverAddress, type SignatureBytes, signDigest } from '../signatures/ecdsa.js'
import { hashTypedData, type TypedData } from '../signatures/typed-data.js'

/** What a ticket allows. */
export type TicketKind = 'upload' | 'download'
const KIND_CODES: Record<TicketKind, number> = { upload: 1, download: 2 }
const TICKET_MAGIC = Uint8Array.from([0x53, 0x45, 0x54, 0x4b]) // "SETK"
const TICKET_VERSION = 1

/** Fields of a ticket before the meta service signs it. */
export interface TicketFields {
  /** 32 random bytes as hex: the ticket id receipts refer to. */
  readonly id: `0x${string}`
  readonly kind: TicketKind
  /** The content owner. */
  readonly owner: EvmAddress
  /** The account allowed to use the ticket (uploader or downloader); its ozone pays for the traffic. */
  readonly holder: EvmAddress
  readonly fileHash: FileHash
  /** Most bytes of traffic the ticket covers. */
  readonly bytesAllowed: bigint
  /** Unix seconds after which the ticket is void. */
  readonly expiresAt: number
}

/** A ticket signed by a meta service: proof that traffic is backed by paid ozone. */
export interface Ticket extends TicketFields {
  readonly issuer: EvmAddress
  readonly signature: SignatureBytes
}

/** The EIP-712 form of a ticket. */
export function ticketTypedData(t: TicketFields): TypedData {
  return {
    domain: STRATOS_EDGE_DOMAIN,
    types: {
      Ticket: [
        { name: 'id', type: 'bytes32' },
        { name: 'kind', type: 'uint8' },
        { name: 'owner', type: 'address' },
        { name: 'holder', type: 'address' },
        { name: 'fileHash', type: 'string' },
        { name: 'bytesAllowed', type: 'uint64' },
        { name: 'expiresAt', type: 'uint64' },
      ],
    },
    primaryType: 'Ticket',
    message: { ...t, kind: KIND_CODES[t.kind] },
  }
}

/** Inputs of {@link issueTicket}: addresses in any form; id random unless given. */
export interface IssueTicketInit {
  readonly kind: TicketKind
  readonly owner: string
  readonly holder: string
  readonly fileHash: FileHash
  readonly bytesAllowed: bigint
  readonly expiresAt: number
  readonly id?: `0x${string}`
}

/**
 * Issues a ticket signed with the meta service's key.
 *
 * @example
 * ```ts
 * const t = issueTicket({ kind: 'download', owner, holder, fileHash, bytesAllowed: 1n << 24n, expiresAt: now + 3600 }, meta)
 * ```
 */
export function issueTicket(
  init: IssueTicketInit,
  issuer: { privateKey: Uint8Array; evmAddress: EvmAddress },
): Ticket {
  if (!Number.isSafeInteger(init.expiresAt) || init.expiresAt > 1e11) {
    throw new InvalidTicketError(
      `Ticket expiry ${init.expiresAt} is not whole Unix seconds`,
      'Pass Math.floor(Date.now() / 1000) + lifetime',
    )
  }
  // One canonical id form: 32 bytes, lower-case hex (the id is a map key and a receipt field).
  const id = toHex(init.id ? fromHex(init.id) : crypto.getRandomValues(new Uint8Array(32)))
  if (id.length !== 66) throw new InvalidTicketError('Ticket id must be 32 bytes')
  const fields: TicketFields = {
    id,
    kind: init.kind,
    owner: toEvmAddress(init.owner),
    holder: toEvmAddress(init.holder),
    fileHash: init.fileHash,
    bytesAllowed: init.bytesAllowed,
    expiresAt: init.expiresAt,
  }
  return {
    ...fields,
    issuer: issuer.evmAddress,
    signature: signDigest(hashTypedData(ticketTypedData(fields)), issuer.privateKey),
  }
}

/** Checks of {@link verifyTicket}. */
export interface VerifyTicketOptions {
  /** Accepted issuers (meta service addresses, any form). */
  readonly issuers: readonly string[]
  /** Current time in Unix seconds (not milliseconds). */
  readonly now: number
  readonly kind?: TicketKind
  /** Bytes about to be used under the ticket, counting earlier use. */
  readonly bytesUsed?: bigint
}

/**
 * Throws InvalidTicketError or InvalidSignatureError unless the ticket is valid now for this use.
 *
 * @example
 * ```ts
 * verifyTicket(ticket, { issuers: [metaAddress], now: Math.floor(Date.now() / 1000), kind: 'download' })
 * ```
 */
export function verifyTicket(t: Ticket, options: VerifyTicketOptions): void {
  if (options.now > 1e11) {
    throw new InvalidTicketError(
      'verifyTicket `now` looks like milliseconds',
      'Pass Unix seconds: Math.floor(Date.now() / 1000)',
    )
  }
  const signer = recoverAddress(hashTypedData(ticketTypedData(t)), t.signature)
  if (signer !== t.issuer)
    throw new InvalidTicketError(`Ticket ${t.id} is signed by ${signer}, not its issuer ${t.issuer}`)
  if (!options.issuers.some((i) => toEvmAddress(i) === signer)) {
    throw new InvalidTicketError(
      `Ticket ${t.id} was issued by ${signer}, not a known meta service`,
      'Ask a known meta service for a ticket',
    )
  }
  if (t.expiresAt <= options.now)
    throw new InvalidTicketError(`Ticket ${t.id} expired`, 'Ask the meta service for a new ticket')
  if (options.kind && t.kind !== options.kind)
    throw new InvalidTicketError(`Ticket ${t.id} is for ${t.kind}, not ${options.kind}`)
  if (options.bytesUsed !== undefined && options.bytesUsed > t.bytesAllowed) {
    throw new InvalidTicketError(
      `Ticket ${t.id} allows ${t.bytesAllowed} bytes, ${options.bytesUsed} used`,
      'Buy more ozone',
    )
  }
}

/**
 * Binary encoding of a signed ticket.
 *
 * @example
 * ```ts
 * const bytes = encodeTicket(ticket) // send with an upload or download request
 * ```
 */
export function encodeTicket(t: Ticket): Uint8Array {
  return new BinaryWriter()
    .fixed(TICKET_MAGIC)
    .u8(TICKET_VERSION)
    .fixed(fromHex(t.id))
    .u8(KIND_CODES[t.kind])
    .fixed(addressToBytes(t.owner))
    .fixed(addressToBytes(t.holder))
    .fixed(fileHashToBytes(t.fileHash))
    .u64(t.bytesAllowed)
    .u64(t.expiresAt)
    .fixed(addressToBytes(t.issuer))
    .fixed(t.signature)
    .finish()
}

/**
 * Decodes a ticket (signature not checked: use {@link verifyTicket}); throws DecodeError on garbage.
 *
 * @example
 * ```ts
 * verifyTicket(decodeTicket(bytes), { issuers, now })
 * ```
 */
export function decodeTicket(bytes: Uint8Array): Ticket {
  const r: BinaryReader = new BinaryReader(bytes, 'ticket')
  r.magic(TICKET_MAGIC)
  const version = r.u8()
  if (version !== TICKET_VERSION)
    throw new UnsupportedVersionError(`Ticket version ${version} is not supported`)
  const id = toHex(r.fixed(32))
  const kindCode = r.u8()
  const kind = (Object.keys(KIND_CODES) as TicketKind[]).find((k) => KIND_CODES[k] === kindCode)
  if (!kind) r.fail(`unknown ticket kind ${kindCode}`)
  const owner = toChecksumAddress(r.fixed(20))
  const holder = toChecksumAddress(r.fixed(20))
  let fileHash: FileHash
  try {
    fileHash = fileHashFromBytes(r.fixed(24))
  } catch {
    r.fail('bad file hash')
  }
  const bytesAllowed = r.u64()
  const expiresAt = r.safeU64('expiresAt')
  const issuer = toChecksumAddress(r.fixed(20))
  const signature = r.fixed(65)
  r.end()
  return { id, kind, owner, holder, fileHash, bytesAllowed, expiresAt, issuer, signature }
}
