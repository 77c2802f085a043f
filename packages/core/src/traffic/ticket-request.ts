import { BinaryReader, BinaryWriter } from '../encoding/binary.js'
import { concatBytes, fromHex, toHex, uint256Word } from '../encoding/bytes.js'
import {
  InvalidTicketError,
  TicketExpiredError,
  UnsupportedVersionError,
  WrongNetworkError,
} from '../errors.js'
import { keccak256 } from '../ids/keccak.js'
import { addressToBytes, type EvmAddress, toChecksumAddress, toEvmAddress } from '../keys/address.js'
import { networkDomain } from '../signatures/domain.js'
import { recoverAddress, type SignatureBytes, signatureToBytes } from '../signatures/ecdsa.js'
import { hashTypedData, type TypedData } from '../signatures/typed-data.js'
import type { TypedDataSigner } from '../signatures/typed-data-signer.js'

const REQUEST_MAGIC = Uint8Array.from([0x53, 0x45, 0x54, 0x52]) // "SETR"
const REQUEST_VERSION = 1
/** Encoded size of a ticket request. */
export const TICKET_REQUEST_BYTES = 4 + 1 + 8 + 20 + 8 + 32 + 8 + 65

/** What an owner asks the meta service for: an upload ticket for this many bytes, paid from its ozone. */
export interface TicketRequestFields {
  /** The network id (chain id of the EIP-712 domain). */
  readonly network: number
  /** Whose ozone pays; the request must be signed by this account. */
  readonly owner: EvmAddress
  /** Bytes to upload (the whole file: every slice stored counts). */
  readonly bytes: bigint
  /** 32 random bytes: the ticket id is derived from (owner, nonce), so a replayed request reserves nothing new. */
  readonly nonce: `0x${string}`
  /** Unix seconds after which the meta service refuses the request (and its replays). */
  readonly expiresAt: number
}

/** A ticket request signed by its owner, so nobody can spend another's ozone. */
export interface TicketRequest extends TicketRequestFields {
  readonly signature: SignatureBytes
}

/** The EIP-712 form of a ticket request: what the owner's wallet shows and signs. */
export function ticketRequestTypedData(r: TicketRequestFields): TypedData {
  return {
    domain: networkDomain(r.network),
    types: {
      UploadTicketRequest: [
        { name: 'owner', type: 'address' },
        { name: 'bytes', type: 'uint64' },
        { name: 'nonce', type: 'bytes32' },
        { name: 'expiresAt', type: 'uint64' },
      ],
    },
    primaryType: 'UploadTicketRequest',
    message: { owner: r.owner, bytes: r.bytes, nonce: r.nonce, expiresAt: r.expiresAt },
  }
}

/** Inputs of {@link signTicketRequest}. */
export interface TicketRequestInit {
  readonly network: number
  readonly bytes: bigint
  /** Unix seconds; default five minutes from now. */
  readonly expiresAt?: number
  /** Default random. */
  readonly nonce?: `0x${string}`
}

/**
 * Asks the owner's signer (a page wallet, or a key the node holds) to sign an upload ticket request.
 *
 * @example
 * ```ts
 * const request = await signTicketRequest({ network: 137, bytes: BigInt(file.size) }, privateKeySigner(key))
 * ```
 */
export async function signTicketRequest(
  init: TicketRequestInit,
  signer: TypedDataSigner,
): Promise<TicketRequest> {
  if (init.bytes < 0n || init.bytes >= 1n << 64n)
    throw new InvalidTicketError(`A ticket request of ${init.bytes} bytes is out of range`)
  const fields: TicketRequestFields = {
    network: init.network,
    owner: toEvmAddress(signer.address),
    bytes: init.bytes,
    nonce: toHex(init.nonce ? fromHex(init.nonce) : crypto.getRandomValues(new Uint8Array(32))),
    expiresAt: init.expiresAt ?? Math.floor(Date.now() / 1000) + 300,
  }
  if (fields.nonce.length !== 66) throw new InvalidTicketError('A ticket request nonce is 32 bytes')
  const signature = signatureToBytes(await signer.signTypedData(ticketRequestTypedData(fields)))
  return { ...fields, signature }
}

/**
 * Throws unless the owner signed the request for this network and it is not expired:
 * `WrongNetworkError`, `TicketExpiredError`, `InvalidTicketError` (signed by someone else).
 *
 * @example
 * ```ts
 * verifyTicketRequest(request, { network: 137, now: Math.floor(Date.now() / 1000) })
 * ```
 */
export function verifyTicketRequest(r: TicketRequest, options: { network: number; now: number }): void {
  if (r.network !== options.network) {
    throw new WrongNetworkError(
      `Ticket request for network ${r.network}, this meta service serves ${options.network}`,
      'Sign the request for this network',
    )
  }
  if (r.expiresAt <= options.now) throw new TicketExpiredError('Ticket request expired', 'Sign a new request')
  const signer = recoverAddress(hashTypedData(ticketRequestTypedData(r)), r.signature)
  if (signer !== toEvmAddress(r.owner)) {
    throw new InvalidTicketError(
      `Ticket request for ${r.owner} is signed by ${signer}`,
      'Only the owner can spend its ozone: sign with the owner’s wallet',
    )
  }
}

/**
 * The id of the ticket a request buys: keccak-256 of (network ‖ owner ‖ nonce). The same request
 * always names the same ticket, so replaying it cannot reserve ozone twice.
 */
export function ticketIdOf(r: Pick<TicketRequestFields, 'network' | 'owner' | 'nonce'>): `0x${string}` {
  return toHex(
    keccak256(concatBytes(uint256Word(BigInt(r.network)), addressToBytes(r.owner), fromHex(r.nonce))),
  )
}

/** Binary encoding: {@link TICKET_REQUEST_BYTES} bytes. */
export function encodeTicketRequest(r: TicketRequest): Uint8Array {
  return new BinaryWriter()
    .fixed(REQUEST_MAGIC)
    .u8(REQUEST_VERSION)
    .u64(r.network)
    .fixed(addressToBytes(r.owner))
    .u64(r.bytes)
    .fixed(fromHex(r.nonce))
    .u64(r.expiresAt)
    .fixed(r.signature)
    .finish()
}

/** Decodes a ticket request (signature not checked); throws DecodeError on garbage. */
export function decodeTicketRequest(bytes: Uint8Array): TicketRequest {
  const r: BinaryReader = new BinaryReader(bytes, 'ticket request')
  if (bytes.length !== TICKET_REQUEST_BYTES)
    r.fail(`expected ${TICKET_REQUEST_BYTES} bytes, got ${bytes.length}`)
  r.magic(REQUEST_MAGIC)
  const version = r.u8()
  if (version !== REQUEST_VERSION)
    throw new UnsupportedVersionError(`Ticket request version ${version} is not supported`)
  const network = r.safeU64('network')
  const owner = toChecksumAddress(r.fixed(20))
  const size = r.u64()
  const nonce = toHex(r.fixed(32))
  const expiresAt = r.safeU64('expiresAt')
  const signature = r.fixed(65)
  r.end()
  return { network, owner, bytes: size, nonce, expiresAt, signature }
}
