import { BinaryReader, BinaryWriter } from '../encoding/binary.js'
import { toHex } from '../encoding/bytes.js'
import {
  InvalidArgumentError,
  InvalidManifestError,
  InvalidSignatureError,
  UnsupportedVersionError,
} from '../errors.js'
import { type FileHash, fileHashFromBytes, fileHashToBytes } from '../ids/file-hash.js'
import { keccak256 } from '../ids/keccak.js'
import { type SliceHash, sliceHashFromBytes, sliceHashToBytes } from '../ids/slice-hash.js'
import { addressToBytes, type EvmAddress, toChecksumAddress } from '../keys/address.js'
import { STRATOS_EDGE_DOMAIN } from '../signatures/domain.js'
import { recoverAddress, type SignatureBytes, signatureToBytes, signDigest } from '../signatures/ecdsa.js'
import { hashPersonalMessage } from '../signatures/personal-sign.js'
import { hashTypedData, type TypedData } from '../signatures/typed-data.js'
import { assertSliceSize, sliceCount, sliceRange } from '../slicing/slice-layout.js'
import type { SlicedFile } from '../slicing/slicer.js'

/** Manifest format version written by this code. */
export const MANIFEST_VERSION = 1
const MAGIC = Uint8Array.from([0x53, 0x45, 0x4d, 0x46]) // "SEMF"
/** Most slices a manifest may list (4 TiB at the default 4 MiB slice size). */
export const MAX_MANIFEST_SLICES = 1 << 20
const MAX_NAME_BYTES = 1024
const MAX_MIME_BYTES = 255
const MAX_TAG_BYTES = 64
const MAX_ENCRYPTION_PARAMS_BYTES = 1024
const CID_BYTES = 24

/** How the owner signed a manifest. Both are what an ordinary Ethereum wallet produces. */
export type ManifestSignatureScheme = 'eip712' | 'personal_sign'
const SCHEME_CODES: Record<ManifestSignatureScheme, number> = { eip712: 1, personal_sign: 2 }

/** Encryption parameters of an encrypted upload; the manifest only records them, it never decrypts. */
export interface ManifestEncryption {
  /** Scheme name, e.g. `sds-aes-256-gcm`. */
  readonly scheme: string
  /** The encryption tag mixed into the file hash. */
  readonly tag: Uint8Array
  /** Scheme-specific public parameters (never a key). */
  readonly params: Uint8Array
}

/** One entry of a manifest's slice list. */
export interface ManifestSlice {
  readonly number: number
  readonly size: number
  readonly hash: SliceHash
}

/** A manifest before the owner signs it. */
export interface UnsignedManifest {
  readonly version: number
  readonly fileHash: FileHash
  readonly size: number
  readonly sliceSize: number
  readonly slices: readonly ManifestSlice[]
  readonly name?: string
  readonly mimeType?: string
  readonly encryption?: ManifestEncryption
  /** The owner's address (`0x…`); the signature must recover to it. */
  readonly owner: EvmAddress
  /** Milliseconds since the Unix epoch. */
  readonly createdAt: number
}

/** A signed manifest: the record that says which slices make a file and who owns it. */
export interface Manifest extends UnsignedManifest {
  readonly signatureScheme: ManifestSignatureScheme
  readonly signature: SignatureBytes
}

/** Inputs of {@link createManifest}. */
export interface CreateManifestInit {
  readonly sliced: SlicedFile
  /** `st1…` or `0x…`. */
  readonly owner: string
  readonly name?: string
  readonly mimeType?: string
  readonly encryption?: ManifestEncryption
  /** Default: now. */
  readonly createdAt?: number
}

function invalid(why: string, advice = 'Rebuild the manifest from the file'): never {
  throw new InvalidManifestError(`Invalid manifest: ${why}`, advice)
}

/**
 * Builds an unsigned manifest from a sliced file.
 *
 * @example
 * ```ts
 * const sliced = await sliceFile(file)
 * const unsigned = createManifest({ sliced, owner: keys.address, name: file.name, mimeType: file.type })
 * const manifest = signManifest(unsigned, keys.privateKey)
 * ```
 */
export function createManifest(init: CreateManifestInit): UnsignedManifest {
  const m: UnsignedManifest = {
    version: MANIFEST_VERSION,
    fileHash: init.sliced.fileHash,
    size: init.sliced.size,
    sliceSize: init.sliced.sliceSize,
    slices: init.sliced.slices.map((s) => ({ number: s.number, size: s.size, hash: s.hash })),
    ...(init.name !== undefined ? { name: init.name } : {}),
    ...(init.mimeType !== undefined ? { mimeType: init.mimeType } : {}),
    ...(init.encryption !== undefined ? { encryption: init.encryption } : {}),
    owner: toChecksumAddress(addressToBytes(init.owner)),
    createdAt: init.createdAt ?? Date.now(),
  }
  checkConsistency(m)
  // Encoding checks the field limits now rather than at upload time.
  encodeBody(m)
  return m
}

function checkConsistency(m: UnsignedManifest): void {
  try {
    assertSliceSize(m.sliceSize)
  } catch {
    invalid(`slice size ${m.sliceSize} out of range`)
  }
  if (!Number.isSafeInteger(m.size) || m.size < 0) invalid(`size ${m.size}`)
  const expected = sliceCount(m.size, m.sliceSize)
  if (expected > MAX_MANIFEST_SLICES) {
    invalid(`${expected} slices is over the limit of ${MAX_MANIFEST_SLICES}`, 'Use a larger slice size')
  }
  if (m.slices.length !== expected)
    invalid(`${m.slices.length} slices listed, ${expected} expected for ${m.size} bytes`)
  m.slices.forEach((s, i) => {
    const { start, end } = sliceRange(i + 1, m.size, m.sliceSize)
    if (s.number !== i + 1) invalid(`slice ${i + 1} is numbered ${s.number}`)
    if (s.size !== end - start) invalid(`slice ${s.number} has size ${s.size}, expected ${end - start}`)
  })
}

function encodeBody(m: UnsignedManifest): BinaryWriter {
  const w = new BinaryWriter().fixed(MAGIC).u8(MANIFEST_VERSION)
  const flags = (m.name !== undefined ? 1 : 0) | (m.mimeType !== undefined ? 2 : 0) | (m.encryption ? 4 : 0)
  w.u8(flags).fixed(fileHashToBytes(m.fileHash)).u64(m.size).u32(m.sliceSize).varint(m.slices.length)
  for (const s of m.slices) w.u32(s.size).fixed(sliceHashToBytes(s.hash))
  const limited = (field: string, text: string, max: number) => {
    if (new TextEncoder().encode(text).length > max) {
      throw new InvalidArgumentError(`Manifest ${field} is longer than ${max} bytes`, `Shorten the ${field}`)
    }
    w.string(text)
  }
  if (m.name !== undefined) limited('name', m.name, MAX_NAME_BYTES)
  if (m.mimeType !== undefined) limited('MIME type', m.mimeType, MAX_MIME_BYTES)
  if (m.encryption) {
    limited('encryption scheme', m.encryption.scheme, MAX_MIME_BYTES)
    if (m.encryption.tag.length > MAX_TAG_BYTES || m.encryption.params.length > MAX_ENCRYPTION_PARAMS_BYTES) {
      throw new InvalidArgumentError('Manifest encryption tag or parameters too long')
    }
    w.bytes(m.encryption.tag).bytes(m.encryption.params)
  }
  return w.fixed(addressToBytes(m.owner)).u64(m.createdAt)
}

/** Keccak-256 of the canonical unsigned encoding: what the owner's signature commits to. */
export function manifestDigest(m: UnsignedManifest): Uint8Array {
  return keccak256(encodeBody(m).finish())
}

/**
 * The EIP-712 request an owner's wallet signs (ethers `signTypedData`, or `eth_signTypedData_v4` via
 * `toEip1193TypedData`). The wallet shows the file hash and size; the digest binds every other field.
 */
export function manifestTypedData(m: UnsignedManifest): TypedData {
  return {
    domain: STRATOS_EDGE_DOMAIN,
    types: {
      Manifest: [
        { name: 'fileHash', type: 'string' },
        { name: 'size', type: 'uint64' },
        { name: 'createdAt', type: 'uint64' },
        { name: 'manifestDigest', type: 'bytes32' },
      ],
    },
    primaryType: 'Manifest',
    message: {
      fileHash: m.fileHash,
      size: m.size,
      createdAt: m.createdAt,
      manifestDigest: toHex(manifestDigest(m)),
    },
  }
}

/** The text an owner signs with `personal_sign` when the wallet cannot do typed data. */
export function manifestPersonalMessage(m: UnsignedManifest): string {
  return `Stratos Edge: I own this file\nfile: ${m.fileHash}\nsize: ${m.size}\nmanifest: ${toHex(manifestDigest(m))}`
}

function signingDigest(m: UnsignedManifest, scheme: ManifestSignatureScheme): Uint8Array {
  return scheme === 'eip712'
    ? hashTypedData(manifestTypedData(m))
    : hashPersonalMessage(manifestPersonalMessage(m))
}

/**
 * Signs a manifest with the owner's private key (EIP-712 by default).
 *
 * @example
 * ```ts
 * const manifest = signManifest(createManifest({ sliced, owner: keys.address }), keys.privateKey)
 * ```
 */
export function signManifest(
  m: UnsignedManifest,
  privateKey: Uint8Array,
  scheme: ManifestSignatureScheme = 'eip712',
): Manifest {
  const manifest = {
    ...m,
    signatureScheme: scheme,
    signature: signDigest(signingDigest(m, scheme), privateKey),
  }
  verifyManifest(manifest)
  return manifest
}

/**
 * Attaches a signature made elsewhere (a browser wallet) and verifies it; throws InvalidSignatureError.
 *
 * @example
 * ```ts
 * const sig = await signer.signTypedData(td.domain, td.types, td.message)
 * const manifest = attachManifestSignature(unsigned, sig, 'eip712')
 * ```
 */
export function attachManifestSignature(
  m: UnsignedManifest,
  signature: Uint8Array | string,
  scheme: ManifestSignatureScheme,
): Manifest {
  const manifest = { ...m, signatureScheme: scheme, signature: signatureToBytes(signature) }
  verifyManifest(manifest)
  return manifest
}

/**
 * Checks consistency and that the owner signed it; throws InvalidManifestError or InvalidSignatureError.
 */
export function verifyManifest(m: Manifest): void {
  if (m.version !== MANIFEST_VERSION) {
    throw new UnsupportedVersionError(
      `Manifest version ${m.version} is not supported`,
      'Upgrade @stratos-edge/core',
    )
  }
  if (!(m.signatureScheme in SCHEME_CODES)) {
    throw new InvalidSignatureError(
      `Unknown manifest signature scheme ${String(m.signatureScheme)}`,
      "Use 'eip712' or 'personal_sign'",
    )
  }
  checkConsistency(m)
  const signer = recoverAddress(signingDigest(m, m.signatureScheme), m.signature)
  if (signer !== toChecksumAddress(addressToBytes(m.owner))) {
    throw new InvalidSignatureError(
      `Manifest of ${m.fileHash} is signed by ${signer}, not by its owner ${m.owner}`,
      'Only the owner can sign a manifest; sign it again with the owner key',
    )
  }
}

/**
 * Deterministic binary encoding: the same manifest always gives the same bytes.
 *
 * @example
 * ```ts
 * const bytes = encodeManifest(manifest)
 * decodeManifest(bytes).fileHash === manifest.fileHash // true
 * ```
 */
export function encodeManifest(m: Manifest): Uint8Array {
  return encodeBody(m).u8(SCHEME_CODES[m.signatureScheme]).fixed(m.signature).finish()
}

/** Options of {@link decodeManifest}. */
export interface DecodeManifestOptions {
  /** Reject larger input before parsing; default 64 MiB. */
  maxBytes?: number
  /** Also check the owner signature (default true). */
  verify?: boolean
}

/**
 * Decodes and (by default) verifies a manifest. Garbage, truncated or oversized input throws
 * DecodeError; an unknown version UnsupportedVersionError; inconsistent content InvalidManifestError;
 * a bad signature InvalidSignatureError. Never any other exception.
 */
export function decodeManifest(bytes: Uint8Array, options: DecodeManifestOptions = {}): Manifest {
  const r: BinaryReader = new BinaryReader(bytes, 'manifest')
  if (!(bytes instanceof Uint8Array)) r.fail('input is not bytes')
  if (bytes.length > (options.maxBytes ?? 64 * 1024 * 1024)) r.fail(`${bytes.length} bytes is over the limit`)
  r.magic(MAGIC)
  const version = r.u8()
  if (version !== MANIFEST_VERSION) {
    throw new UnsupportedVersionError(
      `Manifest version ${version} is not supported`,
      'Upgrade @stratos-edge/core',
    )
  }
  const flags = r.u8()
  if (flags & ~7) r.fail('unknown flags')
  const fileHash = decodeId(r, fileHashFromBytes, 'file hash')
  const size = r.safeU64('size')
  const sliceSize = r.u32()
  const count = r.varint('slice count', MAX_MANIFEST_SLICES)
  if (count * (4 + CID_BYTES) > r.remaining) r.fail(`slice count ${count} exceeds the data`)
  const slices: ManifestSlice[] = []
  for (let i = 0; i < count; i++) {
    const sliceSizeI = r.u32()
    slices.push({ number: i + 1, size: sliceSizeI, hash: decodeId(r, sliceHashFromBytes, 'slice hash') })
  }
  const name = flags & 1 ? r.string('name', MAX_NAME_BYTES) : undefined
  const mimeType = flags & 2 ? r.string('MIME type', MAX_MIME_BYTES) : undefined
  const encryption =
    flags & 4
      ? {
          scheme: r.string('encryption scheme', MAX_MIME_BYTES),
          tag: r.bytes('encryption tag', MAX_TAG_BYTES),
          params: r.bytes('encryption params', MAX_ENCRYPTION_PARAMS_BYTES),
        }
      : undefined
  const owner = toChecksumAddress(r.fixed(20))
  const createdAt = r.safeU64('createdAt')
  const schemeCode = r.u8()
  const signatureScheme = (Object.keys(SCHEME_CODES) as ManifestSignatureScheme[]).find(
    (k) => SCHEME_CODES[k] === schemeCode,
  )
  if (!signatureScheme) r.fail(`unknown signature scheme ${schemeCode}`)
  const signature = r.fixed(65)
  r.end()
  const manifest: Manifest = {
    version,
    fileHash,
    size,
    sliceSize,
    slices,
    ...(name !== undefined ? { name } : {}),
    ...(mimeType !== undefined ? { mimeType } : {}),
    ...(encryption ? { encryption } : {}),
    owner,
    createdAt,
    signatureScheme,
    signature,
  }
  if (options.verify ?? true) verifyManifest(manifest)
  else checkConsistency(manifest)
  return manifest
}

function decodeId<T>(r: BinaryReader, parse: (b: Uint8Array) => T, what: string): T {
  const bytes = r.fixed(CID_BYTES)
  try {
    return parse(bytes)
  } catch {
    return r.fail(`bad ${what}`)
  }
}
