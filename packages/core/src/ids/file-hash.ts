import { concatBytes, utf8 } from '../encoding/bytes.js'
import { InvalidFileHashError } from '../errors.js'
import { CODEC_SDS, CODEC_VIDEO, decodeCidBytes, encodeCidBytes, formatCid, parseCid } from './cid.js'
import { keccak256 } from './keccak.js'
import { sdsMultihash, sdsMultihashFromDigest } from './multihash.js'

/** An SDS file hash in its text form (`v05j1m5…`). Produced only by this module's functions. */
export type FileHash = string & { readonly __brand: 'FileHash' }

/** Options that change a file hash. */
export interface FileHashOptions {
  /** Multicodec of the content: {@link CODEC_SDS} (default) or {@link CODEC_VIDEO}. */
  codec?: number
  /** Encryption tag mixed into the hash, as SDS does for encrypted uploads; empty for plain files. */
  encryptionTag?: string | Uint8Array
}

function tagBytes(tag: FileHashOptions['encryptionTag']): Uint8Array {
  if (tag === undefined) return new Uint8Array()
  return typeof tag === 'string' ? utf8(tag) : tag
}

/** Throws InvalidFileHashError unless `codec` is an SDS file codec; lets streaming code fail before it reads. */
export function checkCodec(codec: number): void {
  if (codec !== CODEC_SDS && codec !== CODEC_VIDEO) {
    throw new InvalidFileHashError(
      `Unsupported file codec 0x${codec.toString(16)}`,
      'Use CODEC_SDS (0x66) or CODEC_VIDEO (0x72)',
    )
  }
}

/**
 * The file hash from the 32-byte Keccak-256 digest of the whole file. This is the cheap last step of
 * streaming hashing: keccak-256/20 of (tag ‖ 0x1b 0x14 ‖ digest[0:20]), as a CIDv1 in base32hex.
 *
 * @example
 * ```ts
 * const hash = fileHashFromDigest(keccak256(bytes))
 * ```
 */
export function fileHashFromDigest(fileDigest: Uint8Array, options: FileHashOptions = {}): FileHash {
  const codec = options.codec ?? CODEC_SDS
  checkCodec(codec)
  const inner = sdsMultihashFromDigest(fileDigest)
  const multihash = sdsMultihash(concatBytes(tagBytes(options.encryptionTag), inner))
  return formatCid({ codec, multihash }) as FileHash
}

/**
 * The SDS file hash of bytes already in memory. For Blobs and streams use {@link sliceFile} or
 * {@link hashFile}, which never hold the whole file.
 *
 * @example
 * ```ts
 * computeFileHash(new TextEncoder().encode('hello stratos'))
 * // 'v05j1m52c3o7rd6if0b6u23dcoaajjs77tlmkdco'
 * ```
 */
export function computeFileHash(data: Uint8Array, options: FileHashOptions = {}): FileHash {
  return fileHashFromDigest(keccak256(data), options)
}

/** A parsed file hash. */
export interface ParsedFileHash {
  readonly codec: number
  /** The 22-byte multihash at the end of the CID; slice hashes are XORed with it. */
  readonly multihash: Uint8Array
}

/**
 * Parses and validates a file hash; throws InvalidFileHashError on anything else.
 *
 * @example
 * ```ts
 * parseFileHash('v05j1m52c3o7rd6if0b6u23dcoaajjs77tlmkdco').codec // 0x66
 * ```
 */
export function parseFileHash(text: string): ParsedFileHash {
  const cid = parseCid(text)
  if (!cid || (cid.codec !== CODEC_SDS && cid.codec !== CODEC_VIDEO)) {
    throw new InvalidFileHashError(
      `Not an SDS file hash: ${JSON.stringify(String(text).slice(0, 64))}`,
      'A file hash is a base32hex CIDv1 starting with "v05j1m5" (or "v05p1m5" for video)',
    )
  }
  return { codec: cid.codec, multihash: cid.multihash }
}

/** True when `text` is a valid file hash. */
export function isFileHash(text: unknown): text is FileHash {
  if (typeof text !== 'string') return false
  try {
    parseFileHash(text)
    return true
  } catch {
    return false
  }
}

/** Validates and brands a file hash string; throws InvalidFileHashError. */
export function asFileHash(text: string): FileHash {
  parseFileHash(text)
  return text as FileHash
}

/** The binary CID of a file hash (24 bytes), used in compact wire records. */
export function fileHashToBytes(hash: FileHash | string): Uint8Array {
  return encodeCidBytes(parseFileHash(hash))
}

/** The text form of a binary file CID; throws InvalidFileHashError. */
export function fileHashFromBytes(bytes: Uint8Array): FileHash {
  const cid = decodeCidBytes(bytes)
  if (
    !cid ||
    (cid.codec !== CODEC_SDS && cid.codec !== CODEC_VIDEO) ||
    encodeCidBytes(cid).length !== bytes.length
  ) {
    throw new InvalidFileHashError(
      'Bytes are not a binary SDS file CID',
      'Expected 24 bytes: 0x01 0x66 (or 0x72) 0x1b 0x14 and a 20-byte digest',
    )
  }
  return formatCid(cid) as FileHash
}
