/**
 * An owner's signed delete of its manifest of a file: what the meta service and resource nodes need to
 * drop that manifest (and let go of slices no other manifest of the file names). EIP-712 with the
 * network id in the domain, like tickets; a delete is only taken while fresh, and drops only manifests
 * made before it was signed, so a replay cannot remove a later upload of the same file.
 */
import { BinaryReader, BinaryWriter } from '../encoding/binary.js'
import { DeleteExpiredError, NotOwnerError, UnsupportedVersionError, WrongNetworkError } from '../errors.js'
import { type FileHash, fileHashFromBytes, fileHashToBytes } from '../ids/file-hash.js'
import { addressToBytes, type EvmAddress, toChecksumAddress, toEvmAddress } from '../keys/address.js'
import { networkDomain } from '../signatures/domain.js'
import { recoverAddress, type SignatureBytes, signatureToBytes } from '../signatures/ecdsa.js'
import { hashTypedData, type TypedData } from '../signatures/typed-data.js'
import type { TypedDataSigner } from '../signatures/typed-data-signer.js'

const DELETE_MAGIC = Uint8Array.from([0x53, 0x45, 0x44, 0x4d]) // "SEDM"
const DELETE_VERSION = 1
/** Largest encoded delete (a file hash is 25 bytes today). */
export const MAX_MANIFEST_DELETE_BYTES = 256
/** How far a delete's signing time may be behind the verifier's clock, seconds. */
export const MANIFEST_DELETE_WINDOW_S = 300
/**
 * How far a delete's signing time may be ahead of the verifier's clock, seconds: a delete signed "in the
 * future" could be replayed against a file uploaded again before that time.
 */
export const MANIFEST_DELETE_AHEAD_S = 30

/** What an owner signs to delete its manifest of a file. */
export interface ManifestDeleteFields {
  /** The network id (chain id of the EIP-712 domain); 0 on a network without one. */
  readonly network: number
  readonly owner: EvmAddress
  readonly fileHash: FileHash
  /** Unix seconds when it was signed: manifests made later are not dropped by it. */
  readonly signedAt: number
}

/** A delete signed by its owner. */
export interface ManifestDelete extends ManifestDeleteFields {
  readonly signature: SignatureBytes
}

/** The EIP-712 form of a delete: what the owner's wallet shows and signs. */
export function manifestDeleteTypedData(d: ManifestDeleteFields): TypedData {
  return {
    domain: networkDomain(d.network),
    types: {
      DeleteManifest: [
        { name: 'owner', type: 'address' },
        { name: 'fileHash', type: 'string' },
        { name: 'signedAt', type: 'uint64' },
      ],
    },
    primaryType: 'DeleteManifest',
    message: { owner: d.owner, fileHash: d.fileHash, signedAt: d.signedAt },
  }
}

/**
 * Asks the owner's signer (a page wallet, or the node's key) to sign a delete of its manifest.
 *
 * @example
 * ```ts
 * const del = await signManifestDelete({ network: 137, fileHash }, privateKeySigner(key))
 * ```
 */
export async function signManifestDelete(
  init: { network: number; fileHash: FileHash; signedAt?: number },
  signer: TypedDataSigner,
): Promise<ManifestDelete> {
  const fields: ManifestDeleteFields = {
    network: init.network,
    owner: toEvmAddress(signer.address),
    fileHash: init.fileHash,
    signedAt: init.signedAt ?? Math.floor(Date.now() / 1000),
  }
  return {
    ...fields,
    signature: signatureToBytes(await signer.signTypedData(manifestDeleteTypedData(fields))),
  }
}

/**
 * Throws unless the owner signed the delete, for this network (when the verifier has one), at most
 * {@link MANIFEST_DELETE_WINDOW_S} before `now` and {@link MANIFEST_DELETE_AHEAD_S} after it: `WrongNetworkError`, `DeleteExpiredError`, `NotOwnerError`.
 *
 * @example
 * ```ts
 * verifyManifestDelete(del, { network: 137, now: Math.floor(Date.now() / 1000) })
 * ```
 */
export function verifyManifestDelete(d: ManifestDelete, options: { network?: number; now: number }): void {
  if (options.network !== undefined && d.network !== options.network) {
    throw new WrongNetworkError(
      `Delete signed for network ${d.network}, this node serves ${options.network}`,
      'Sign the delete for this network',
    )
  }
  const behind = options.now - d.signedAt
  if (behind > MANIFEST_DELETE_WINDOW_S || -behind > MANIFEST_DELETE_AHEAD_S) {
    throw new DeleteExpiredError(
      `Delete signed at ${d.signedAt}, ${options.now - d.signedAt} s from this node's clock`,
      'Sign a new delete (and check the clock)',
    )
  }
  const signer = recoverAddress(hashTypedData(manifestDeleteTypedData(d)), d.signature)
  if (signer !== toEvmAddress(d.owner)) {
    throw new NotOwnerError(
      `A delete of ${d.owner}'s manifest of ${d.fileHash} is signed by ${signer}`,
      'Only the owner can delete its manifest: sign with the owner’s wallet',
    )
  }
}

/** Binary encoding (at most {@link MAX_MANIFEST_DELETE_BYTES}). */
export function encodeManifestDelete(d: ManifestDelete): Uint8Array {
  return new BinaryWriter()
    .fixed(DELETE_MAGIC)
    .u8(DELETE_VERSION)
    .u64(d.network)
    .fixed(addressToBytes(d.owner))
    .bytes(fileHashToBytes(d.fileHash))
    .u64(d.signedAt)
    .fixed(d.signature)
    .finish()
}

/** Decodes a delete (signature not checked); throws DecodeError on garbage. */
export function decodeManifestDelete(bytes: Uint8Array): ManifestDelete {
  const r: BinaryReader = new BinaryReader(bytes, 'manifest delete')
  if (bytes.length > MAX_MANIFEST_DELETE_BYTES) r.fail(`${bytes.length} bytes is too large`)
  r.magic(DELETE_MAGIC)
  const version = r.u8()
  if (version !== DELETE_VERSION)
    throw new UnsupportedVersionError(`Manifest delete version ${version} is not supported`)
  const network = r.safeU64('network')
  const owner = toChecksumAddress(r.fixed(20))
  let fileHash: FileHash
  const raw = r.bytes('file hash', 64)
  try {
    fileHash = fileHashFromBytes(raw)
  } catch {
    r.fail('invalid file hash')
  }
  const signedAt = r.safeU64('signedAt')
  const signature = r.fixed(65)
  r.end()
  return { network, owner, fileHash, signedAt, signature }
}
