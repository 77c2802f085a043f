import { BinaryReader, BinaryWriter } from '../encoding/binary.js'
import { concatBytes, fromHex, toHex, uint256Word } from '../encoding/bytes.js'
import {
  InvalidTicketError,
  TicketExpiredError,
  UnsupportedVersionError,
  WrongNetworkError,
} from '../errors.js'
import { type FileHash, fileHashFromBytes, fileHashToBytes } from '../ids/file-hash.js'
import { keccak256 } from '../ids/keccak.js'
import { addressToBytes, type EvmAddress, toChecksumAddress, toEvmAddress } from '../keys/address.js'
import { networkDomain } from '../signatures/domain.js'
import { recoverAddress, type SignatureBytes, signatureToBytes } from '../signatures/ecdsa.js'
import { hashTypedData, type TypedData } from '../signatures/typed-data.js'
import type { TypedDataSigner } from '../signatures/typed-data-signer.js'

const REQUEST_MAGIC = Uint8Array.from([0x53, 0x45, 0x44, 0x52]) // "SEDR"
const REQUEST_VERSION = 1
const ZERO_ADDRESS = '0x0000000000000000000000000000000000000000' as EvmAddress
/** Separates download ticket ids from upload ticket ids ({@link ticketIdOf}) of the same nonce. */
const DOWNLOAD_ID_TAG = new TextEncoder().encode('stratos-edge download ticket')
/** Encoded size of a download ticket request. */
export const DOWNLOAD_TICKET_REQUEST_BYTES = 4 + 1 + 8 + 20 + 24 + 20 + 32 + 8 + 65

/**
 * What a downloader asks the meta service for: a download ticket for one file. The file's owner pays
 * (the publisher pays for reads, like a CDN bill); the downloader signs so that receipts under the
 * ticket are tied to its EVM address.
 */
export interface DownloadTicketRequestFields {
  /** The network id (chain id of the EIP-712 domain). */
  readonly network: number
  /** Who downloads (the ticket's holder); the request must be signed by this account. */
  readonly downloader: EvmAddress
  readonly fileHash: FileHash
  /**
   * The owner whose manifest the downloader reads (an sdm:// URI's owner), or the zero address for any
   * owner who signed a manifest of the file (the meta service picks one).
   */
  readonly owner: EvmAddress
  /** 32 random bytes: the ticket id is derived from (downloader, nonce), so a replay reserves nothing new. */
  readonly nonce: `0x${string}`
  /** Unix seconds after which the meta service refuses the request (and its replays). */
  readonly expiresAt: number
}

/** A download ticket request signed by its downloader. */
export interface DownloadTicketRequest extends DownloadTicketRequestFields {
  readonly signature: SignatureBytes
}

/** The EIP-712 form of a download ticket request: what the downloader's key or wallet signs. */
export function downloadTicketRequestTypedData(r: DownloadTicketRequestFields): TypedData {
  return {
    domain: networkDomain(r.network),
    types: {
      DownloadTicketRequest: [
        { name: 'downloader', type: 'address' },
        { name: 'fileHash', type: 'string' },
        { name: 'owner', type: 'address' },
        { name: 'nonce', type: 'bytes32' },
        { name: 'expiresAt', type: 'uint64' },
      ],
    },
    primaryType: 'DownloadTicketRequest',
    message: {
      downloader: r.downloader,
      fileHash: r.fileHash,
      owner: r.owner,
      nonce: r.nonce,
      expiresAt: r.expiresAt,
    },
  }
}

/** Inputs of {@link signDownloadTicketRequest}. */
export interface DownloadTicketRequestInit {
  readonly network: number
  readonly fileHash: FileHash
  /** The manifest owner the downloader reads; default any (the zero address). */
  readonly owner?: string
  /** Unix seconds; default five minutes from now. */
  readonly expiresAt?: number
  /** Default random. */
  readonly nonce?: `0x${string}`
}

/**
 * Signs a download ticket request with the downloader's signer (a light node's node key, or a wallet).
 *
 * @example
 * ```ts
 * const req = await signDownloadTicketRequest({ network: 137, fileHash }, privateKeySigner(nodeKey))
 * const ticket = await index.requestDownloadTicket(encodeDownloadTicketRequest(req))
 * ```
 */
export async function signDownloadTicketRequest(
  init: DownloadTicketRequestInit,
  signer: TypedDataSigner,
): Promise<DownloadTicketRequest> {
  const fields: DownloadTicketRequestFields = {
    network: init.network,
    downloader: toEvmAddress(signer.address),
    fileHash: fileHashFromBytes(fileHashToBytes(init.fileHash)),
    owner: init.owner ? toEvmAddress(init.owner) : ZERO_ADDRESS,
    nonce: toHex(init.nonce ? fromHex(init.nonce) : crypto.getRandomValues(new Uint8Array(32))),
    expiresAt: init.expiresAt ?? Math.floor(Date.now() / 1000) + 300,
  }
  if (fields.nonce.length !== 66) throw new InvalidTicketError('A ticket request nonce is 32 bytes')
  if (!Number.isSafeInteger(fields.expiresAt) || fields.expiresAt < 0)
    throw new InvalidTicketError(`Request expiry ${fields.expiresAt} is not whole Unix seconds`)
  const signature = signatureToBytes(await signer.signTypedData(downloadTicketRequestTypedData(fields)))
  return { ...fields, signature }
}

/** The owner a request names, or undefined when it takes any owner of the file. */
export function requestedOwnerOf(r: Pick<DownloadTicketRequestFields, 'owner'>): EvmAddress | undefined {
  return toEvmAddress(r.owner) === ZERO_ADDRESS ? undefined : toEvmAddress(r.owner)
}

/**
 * Throws unless the downloader signed the request for this network and it is not expired:
 * `WrongNetworkError`, `TicketExpiredError`, `InvalidTicketError` (signed by someone else).
 *
 * @example
 * ```ts
 * verifyDownloadTicketRequest(req, { network: 137, now: Math.floor(Date.now() / 1000) })
 * ```
 */
export function verifyDownloadTicketRequest(
  r: DownloadTicketRequest,
  options: { network: number; now: number },
): void {
  if (r.network !== options.network) {
    throw new WrongNetworkError(
      `Download ticket request for network ${r.network}, this meta service serves ${options.network}`,
      'Sign the request for this network',
    )
  }
  if (r.expiresAt <= options.now)
    throw new TicketExpiredError('Download ticket request expired', 'Sign a new request')
  const signer = recoverAddress(hashTypedData(downloadTicketRequestTypedData(r)), r.signature)
  if (signer !== toEvmAddress(r.downloader)) {
    throw new InvalidTicketError(
      `Download ticket request for ${r.downloader} is signed by ${signer}`,
      'Sign the request with the downloader’s own key',
    )
  }
}

/**
 * The id of the ticket a download request buys: keccak-256 of (tag ‖ network ‖ downloader ‖ nonce).
 * The same request always names the same ticket, so replaying it cannot reserve ozone twice.
 */
export function downloadTicketIdOf(
  r: Pick<DownloadTicketRequestFields, 'network' | 'downloader' | 'nonce'>,
): `0x${string}` {
  return toHex(
    keccak256(
      concatBytes(
        DOWNLOAD_ID_TAG,
        uint256Word(BigInt(r.network)),
        addressToBytes(r.downloader),
        fromHex(r.nonce),
      ),
    ),
  )
}

/** Binary encoding: {@link DOWNLOAD_TICKET_REQUEST_BYTES} bytes. */
export function encodeDownloadTicketRequest(r: DownloadTicketRequest): Uint8Array {
  return new BinaryWriter()
    .fixed(REQUEST_MAGIC)
    .u8(REQUEST_VERSION)
    .u64(r.network)
    .fixed(addressToBytes(r.downloader))
    .fixed(fileHashToBytes(r.fileHash))
    .fixed(addressToBytes(r.owner))
    .fixed(fromHex(r.nonce))
    .u64(r.expiresAt)
    .fixed(r.signature)
    .finish()
}

/** Decodes a download ticket request (signature not checked); throws DecodeError on garbage. */
export function decodeDownloadTicketRequest(bytes: Uint8Array): DownloadTicketRequest {
  const r: BinaryReader = new BinaryReader(bytes, 'download ticket request')
  if (bytes.length !== DOWNLOAD_TICKET_REQUEST_BYTES)
    r.fail(`expected ${DOWNLOAD_TICKET_REQUEST_BYTES} bytes, got ${bytes.length}`)
  r.magic(REQUEST_MAGIC)
  const version = r.u8()
  if (version !== REQUEST_VERSION)
    throw new UnsupportedVersionError(`Download ticket request version ${version} is not supported`)
  const network = r.safeU64('network')
  const downloader = toChecksumAddress(r.fixed(20))
  let fileHash: FileHash
  try {
    fileHash = fileHashFromBytes(r.fixed(24))
  } catch {
    r.fail('bad file hash')
  }
  const owner = toChecksumAddress(r.fixed(20))
  const nonce = toHex(r.fixed(32))
  const expiresAt = r.safeU64('expiresAt')
  const signature = r.fixed(65)
  r.end()
  return { network, downloader, fileHash, owner, nonce, expiresAt, signature }
}
