import { BinaryReader, BinaryWriter } from '../encoding/binary.js'
import { fromHex, toHex } from '../encoding/bytes.js'
import {
  InsufficientOzoneError,
  InvalidTicketError,
  TicketExpiredError,
  UnsupportedVersionError,
  WrongNetworkError,
} from '../errors.js'
import { type FileHash, fileHashFromBytes, fileHashToBytes } from '../ids/file-hash.js'
import { addressToBytes, type EvmAddress, toChecksumAddress, toEvmAddress } from '../keys/address.js'
import { networkDomain } from '../signatures/domain.js'
import { recoverAddress, type SignatureBytes, signDigest } from '../signatures/ecdsa.js'
import { hashTypedData, type TypedData } from '../signatures/typed-data.js'

/** What a ticket allows. */
export type TicketKind = 'upload' | 'download'
const KIND_CODES: Record<TicketKind, number> = { upload: 1, download: 2 }
const TICKET_MAGIC = Uint8Array.from([0x53, 0x45, 0x54, 0x4b]) // "SETK"
/** 2: network id in the domain and the encoding; the file hash optional (upload tickets bind at commit). */
const TICKET_VERSION = 2

/** Fields of a ticket before the meta service signs it. */
export interface TicketFields {
  /** 32 bytes as lower-case hex: the ticket id receipts and nodes' usage counts refer to. */
  readonly id: `0x${string}`
  readonly kind: TicketKind
  /** The network id (its EIP-712 domain's chain id): the ticket is void on any other network. */
  readonly network: number
  /** The content owner. */
  readonly owner: EvmAddress
  /** The account allowed to use the ticket (uploader or downloader); its ozone pays for the traffic. */
  readonly holder: EvmAddress
  /**
   * The file the ticket is for. A download ticket names it; an upload ticket leaves it out, because the
   * file hash is not known while the first slices are staged: nodes bind it to the first file committed
   * under it, and refuse it for any other.
   */
  readonly fileHash?: FileHash
  /** Most bytes of traffic the ticket covers. */
  readonly bytesAllowed: bigint
  /** Unix seconds after which the ticket is void. */
  readonly expiresAt: number
}

/** A ticket signed by a meta service: proof that traffic is backed by paid (reserved) ozone. */
export interface Ticket extends TicketFields {
  readonly issuer: EvmAddress
  readonly signature: SignatureBytes
}

/** The EIP-712 form of a ticket; an unbound upload ticket signs an empty `fileHash`. */
export function ticketTypedData(t: TicketFields): TypedData {
  return {
    domain: networkDomain(t.network),
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
    message: {
      id: t.id,
      kind: KIND_CODES[t.kind],
      owner: t.owner,
      holder: t.holder,
      fileHash: t.fileHash ?? '',
      bytesAllowed: t.bytesAllowed,
      expiresAt: t.expiresAt,
    },
  }
}

/** Inputs of {@link issueTicket}: addresses in any form; id random unless given. */
export interface IssueTicketInit {
  readonly kind: TicketKind
  readonly network: number
  readonly owner: string
  readonly holder: string
  /** Required for download tickets; left out of upload tickets (bound at commit). */
  readonly fileHash?: FileHash
  readonly bytesAllowed: bigint
  readonly expiresAt: number
  readonly id?: `0x${string}`
}

/**
 * Issues a ticket signed with the meta service's key.
 *
 * @example
 * ```ts
 * const t = issueTicket({ kind: 'upload', network: 137, owner, holder: owner, bytesAllowed: 1n << 24n, expiresAt: now + 3600 }, meta)
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
  if (!Number.isSafeInteger(init.network) || init.network < 1)
    throw new InvalidTicketError(`Ticket network ${init.network} is not a positive chain id`)
  if (init.kind === 'download' && init.fileHash === undefined)
    throw new InvalidTicketError('A download ticket names its file', 'Pass fileHash')
  // One canonical id form: 32 bytes, lower-case hex (the id is a map key and a receipt field).
  const id = toHex(init.id ? fromHex(init.id) : crypto.getRandomValues(new Uint8Array(32)))
  if (id.length !== 66) throw new InvalidTicketError('Ticket id must be 32 bytes')
  const fields: TicketFields = {
    id,
    kind: init.kind,
    network: init.network,
    owner: toEvmAddress(init.owner),
    holder: toEvmAddress(init.holder),
    ...(init.fileHash !== undefined ? { fileHash: init.fileHash } : {}),
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
  /** The network this node serves: a ticket for another one is refused. */
  readonly network: number
  /** Current time in Unix seconds (not milliseconds). */
  readonly now: number
  readonly kind?: TicketKind
  /** Bytes about to be used under the ticket, counting earlier use. */
  readonly bytesUsed?: bigint
  /**
   * Skip the signature and issuer check: the caller verified these exact ticket bytes before (a node
   * checks each upload's ticket once, then only its time and bytes).
   */
  readonly signatureChecked?: boolean
}

/**
 * Throws unless the ticket is valid now for this use: `InvalidTicketError` (forged, unknown issuer,
 * wrong kind), `WrongNetworkError`, `TicketExpiredError` or `InsufficientOzoneError` (over its bytes).
 *
 * @example
 * ```ts
 * verifyTicket(ticket, { issuers: [metaAddress], network: 137, now: Math.floor(Date.now() / 1000), kind: 'upload' })
 * ```
 */
export function verifyTicket(t: Ticket, options: VerifyTicketOptions): void {
  if (options.now > 1e11) {
    throw new InvalidTicketError(
      'verifyTicket `now` looks like milliseconds',
      'Pass Unix seconds: Math.floor(Date.now() / 1000)',
    )
  }
  // The network first: a ticket of another network recovers to a random address, which says nothing.
  if (t.network !== options.network) {
    throw new WrongNetworkError(
      `Ticket ${t.id} is for network ${t.network}, not ${options.network}`,
      'Ask this network’s meta service for a ticket',
    )
  }
  if (!options.signatureChecked) {
    const signer = recoverAddress(hashTypedData(ticketTypedData(t)), t.signature)
    if (signer !== toEvmAddress(t.issuer))
      throw new InvalidTicketError(`Ticket ${t.id} is signed by ${signer}, not its issuer ${t.issuer}`)
    if (!options.issuers.some((i) => toEvmAddress(i) === signer)) {
      throw new InvalidTicketError(
        `Ticket ${t.id} was issued by ${signer}, not a known meta service`,
        'Ask a known meta service for a ticket',
      )
    }
  }
  if (t.expiresAt <= options.now)
    throw new TicketExpiredError(`Ticket ${t.id} expired`, 'Ask the meta service for a new ticket')
  if (options.kind && t.kind !== options.kind)
    throw new InvalidTicketError(`Ticket ${t.id} is for ${t.kind}, not ${options.kind}`)
  if (options.bytesUsed !== undefined && options.bytesUsed > t.bytesAllowed) {
    throw new InsufficientOzoneError(
      `Ticket ${t.id} of ${t.owner} allows ${t.bytesAllowed} bytes, ${options.bytesUsed} asked: ${options.bytesUsed - t.bytesAllowed} short`,
      'Ask the meta service for a ticket covering the whole file',
      { owner: t.owner, shortfallBytes: options.bytesUsed - t.bytesAllowed },
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
  const w = new BinaryWriter()
    .fixed(TICKET_MAGIC)
    .u8(TICKET_VERSION)
    .fixed(fromHex(t.id))
    .u8(KIND_CODES[t.kind])
    .u64(t.network)
    .fixed(addressToBytes(t.owner))
    .fixed(addressToBytes(t.holder))
  if (t.fileHash === undefined) w.u8(0)
  else w.u8(1).fixed(fileHashToBytes(t.fileHash))
  return w.u64(t.bytesAllowed).u64(t.expiresAt).fixed(addressToBytes(t.issuer)).fixed(t.signature).finish()
}

/**
 * Decodes a ticket (signature not checked: use {@link verifyTicket}); throws DecodeError on garbage.
 *
 * @example
 * ```ts
 * verifyTicket(decodeTicket(bytes), { issuers, network, now })
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
  const network = r.safeU64('network')
  const owner = toChecksumAddress(r.fixed(20))
  const holder = toChecksumAddress(r.fixed(20))
  let fileHash: FileHash | undefined
  const hasFile = r.u8()
  if (hasFile > 1) r.fail('bad file flag')
  if (hasFile === 1) {
    try {
      fileHash = fileHashFromBytes(r.fixed(24))
    } catch {
      r.fail('bad file hash')
    }
  }
  const bytesAllowed = r.u64()
  const expiresAt = r.safeU64('expiresAt')
  const issuer = toChecksumAddress(r.fixed(20))
  const signature = r.fixed(65)
  r.end()
  return {
    id,
    kind,
    network,
    owner,
    holder,
    ...(fileHash !== undefined ? { fileHash } : {}),
    bytesAllowed,
    expiresAt,
    issuer,
    signature,
  }
}
