import { BinaryReader, BinaryWriter } from '../encoding/binary.js'
import { fromHex, toHex } from '../encoding/bytes.js'
import { InvalidReceiptError, UnsupportedVersionError, WrongNetworkError } from '../errors.js'
import { type FileHash, fileHashFromBytes, fileHashToBytes } from '../ids/file-hash.js'
import { type SliceHash, sliceHashFromBytes, sliceHashToBytes } from '../ids/slice-hash.js'
import { addressToBytes, type EvmAddress, toChecksumAddress, toEvmAddress } from '../keys/address.js'
import { networkDomain } from '../signatures/domain.js'
import { recoverAddress, type SignatureBytes, signDigest } from '../signatures/ecdsa.js'
import { hashTypedData, type TypedData } from '../signatures/typed-data.js'

const RECEIPT_MAGIC = Uint8Array.from([0x53, 0x45, 0x52, 0x43]) // "SERC"
/** 2: the network id in the domain and the encoding. */
const RECEIPT_VERSION = 2
/** Encoded size of a receipt: fixed, so a batch of receipts is easy to bound. */
export const RECEIPT_BYTES = 4 + 1 + 8 + 8 + 20 + 24 + 24 + 8 + 32 + 8 + 20 + 65

/** What a downloader attests: this provider served me these bytes of this slice in this epoch. */
export interface ReceiptFields {
  /** The network id (its EIP-712 domain's chain id): the receipt earns nothing on another network. */
  readonly network: number
  readonly epoch: number
  readonly provider: EvmAddress
  /** The file the slice belongs to: a ticket backs traffic of its own file only. */
  readonly fileHash: FileHash
  readonly sliceHash: SliceHash
  readonly bytes: number
  /** The download ticket that pays for this traffic. */
  readonly ticketId: `0x${string}`
  /** Unique per (downloader, ticket): the meta service drops duplicates. */
  readonly nonce: bigint
}

/** A traffic receipt signed by the downloader; the provider submits it to earn its traffic reward. */
export interface TrafficReceipt extends ReceiptFields {
  readonly downloader: EvmAddress
  readonly signature: SignatureBytes
}

/** The EIP-712 form of a receipt. */
export function receiptTypedData(r: ReceiptFields): TypedData {
  return {
    domain: networkDomain(r.network),
    types: {
      TrafficReceipt: [
        { name: 'epoch', type: 'uint64' },
        { name: 'provider', type: 'address' },
        { name: 'fileHash', type: 'string' },
        { name: 'sliceHash', type: 'string' },
        { name: 'bytes', type: 'uint64' },
        { name: 'ticketId', type: 'bytes32' },
        { name: 'nonce', type: 'uint64' },
      ],
    },
    primaryType: 'TrafficReceipt',
    message: {
      epoch: r.epoch,
      provider: r.provider,
      fileHash: r.fileHash,
      sliceHash: r.sliceHash,
      bytes: r.bytes,
      ticketId: r.ticketId,
      nonce: r.nonce,
    },
  }
}

/**
 * Signs a receipt with the downloader's key.
 *
 * @example
 * ```ts
 * const receipt = signReceipt({ network: 137, epoch, provider, fileHash, sliceHash, bytes, ticketId, nonce: 1n }, downloaderKeys)
 * ```
 */
export function signReceipt(
  fields: Omit<ReceiptFields, 'provider'> & { provider: string },
  downloader: { privateKey: Uint8Array; evmAddress: EvmAddress },
): TrafficReceipt {
  const f: ReceiptFields = { ...fields, provider: toEvmAddress(fields.provider) }
  if (!Number.isSafeInteger(f.bytes) || f.bytes <= 0)
    throw new InvalidReceiptError(`Receipt bytes ${f.bytes} invalid`)
  return {
    ...f,
    downloader: downloader.evmAddress,
    signature: signDigest(hashTypedData(receiptTypedData(f)), downloader.privateKey),
  }
}

/**
 * Checks the downloader's signature and, given one, the network; throws InvalidReceiptError,
 * WrongNetworkError or InvalidSignatureError.
 *
 * @example
 * ```ts
 * verifyReceipt(decodeReceipt(bytes), { network: 137 }) // throws unless the downloader signed it
 * ```
 */
export function verifyReceipt(r: TrafficReceipt, options: { network?: number } = {}): void {
  if (options.network !== undefined && r.network !== options.network)
    throw new WrongNetworkError(
      `Receipt is for network ${r.network}, not ${options.network}`,
      'Drop this receipt',
    )
  const signer = recoverAddress(hashTypedData(receiptTypedData(r)), r.signature)
  if (signer !== toEvmAddress(r.downloader)) {
    throw new InvalidReceiptError(
      `Receipt is signed by ${signer}, not by its downloader ${r.downloader}`,
      'Drop this receipt',
    )
  }
}

/** Binary encoding: {@link RECEIPT_BYTES} bytes. */
export function encodeReceipt(r: TrafficReceipt): Uint8Array {
  return new BinaryWriter()
    .fixed(RECEIPT_MAGIC)
    .u8(RECEIPT_VERSION)
    .u64(r.network)
    .u64(r.epoch)
    .fixed(addressToBytes(r.provider))
    .fixed(fileHashToBytes(r.fileHash))
    .fixed(sliceHashToBytes(r.sliceHash))
    .u64(r.bytes)
    .fixed(fromHex(r.ticketId))
    .u64(r.nonce)
    .fixed(addressToBytes(r.downloader))
    .fixed(r.signature)
    .finish()
}

/**
 * Decodes a receipt (signature not checked); throws DecodeError on garbage or truncation.
 *
 * @example
 * ```ts
 * const receipt = decodeReceipt(encodeReceipt(signed))
 * ```
 */
export function decodeReceipt(bytes: Uint8Array): TrafficReceipt {
  const r: BinaryReader = new BinaryReader(bytes, 'traffic receipt')
  if (bytes.length !== RECEIPT_BYTES) r.fail(`expected ${RECEIPT_BYTES} bytes, got ${bytes.length}`)
  r.magic(RECEIPT_MAGIC)
  const version = r.u8()
  if (version !== RECEIPT_VERSION)
    throw new UnsupportedVersionError(`Receipt version ${version} is not supported`)
  const network = r.safeU64('network')
  const epoch = r.safeU64('epoch')
  const provider = toChecksumAddress(r.fixed(20))
  let fileHash: FileHash
  try {
    fileHash = fileHashFromBytes(r.fixed(24))
  } catch {
    r.fail('bad file hash')
  }
  let sliceHash: SliceHash
  try {
    sliceHash = sliceHashFromBytes(r.fixed(24))
  } catch {
    r.fail('bad slice hash')
  }
  const sliceBytes = r.safeU64('bytes')
  const ticketId = toHex(r.fixed(32))
  const nonce = r.u64()
  const downloader = toChecksumAddress(r.fixed(20))
  const signature = r.fixed(65)
  r.end()
  return {
    network,
    epoch,
    provider,
    fileHash,
    sliceHash,
    bytes: sliceBytes,
    ticketId,
    nonce,
    downloader,
    signature,
  }
}
