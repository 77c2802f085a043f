import { uint64BE } from '../encoding/bytes.js'
import { InvalidSliceHashError } from '../errors.js'
import { CODEC_RAW, decodeCidBytes, encodeCidBytes, formatCid, parseCid } from './cid.js'
import { type FileHash, parseFileHash } from './file-hash.js'
import { createKeccakStream, type KeccakStream, keccak256 } from './keccak.js'
import { SDS_MULTIHASH_LENGTH, sdsMultihash, sdsMultihashFromDigest } from './multihash.js'

/** An SDS slice hash in its text form (`v05ahm5…`). */
export type SliceHash = string & { readonly __brand: 'SliceHash' }

/**
 * The 8-byte prefix hashed before a slice's bytes: its number as uint64 big-endian. SDS numbers slices
 * from 1.
 */
export function sliceNumberPrefix(sliceNumber: number): Uint8Array {
  if (!Number.isSafeInteger(sliceNumber) || sliceNumber < 1) {
    throw new InvalidSliceHashError(`Slice number ${sliceNumber} is invalid`, 'SDS numbers slices from 1')
  }
  return uint64BE(sliceNumber)
}

/**
 * Finishes a slice hash from the Keccak-256 digest of (uint64 BE slice number ‖ slice bytes) and the
 * file hash: the inner multihash XOR the file hash's multihash, hashed again, as a raw CIDv1.
 * Cheap (one 22-byte keccak), so streaming code hashes slices as bytes pass and finishes them here once
 * the file hash is known.
 */
export function sliceHashFromInnerDigest(innerDigest: Uint8Array, fileHash: FileHash | string): SliceHash {
  const fileMultihash = parseFileHash(fileHash).multihash
  const mixed = sdsMultihashFromDigest(innerDigest)
  for (let i = 0; i < SDS_MULTIHASH_LENGTH; i++)
    mixed[i] = (mixed[i] as number) ^ (fileMultihash[i] as number)
  return formatCid({ codec: CODEC_RAW, multihash: sdsMultihash(mixed) }) as SliceHash
}

/**
 * The SDS slice hash of one slice held in memory.
 *
 * @example
 * ```ts
 * const h = computeSliceHash(1, sliceBytes, fileHash) // 'v05ahm5…'
 * ```
 */
export function computeSliceHash(
  sliceNumber: number,
  data: Uint8Array,
  fileHash: FileHash | string,
): SliceHash {
  const prefix = sliceNumberPrefix(sliceNumber)
  const buf = new Uint8Array(prefix.length + data.length)
  buf.set(prefix)
  buf.set(data, prefix.length)
  return sliceHashFromInnerDigest(keccak256(buf), fileHash)
}

/** Parses and validates a slice hash; throws InvalidSliceHashError. Returns the 22-byte multihash. */
export function parseSliceHash(text: string): Uint8Array {
  const cid = parseCid(text)
  if (!cid || cid.codec !== CODEC_RAW) {
    throw new InvalidSliceHashError(
      `Not an SDS slice hash: ${JSON.stringify(String(text).slice(0, 64))}`,
      'A slice hash is a base32hex raw CIDv1 starting with "v05ahm5"',
    )
  }
  return cid.multihash
}

/** True when `text` is a valid slice hash. */
export function isSliceHash(text: unknown): text is SliceHash {
  if (typeof text !== 'string') return false
  try {
    parseSliceHash(text)
    return true
  } catch {
    return false
  }
}

/** Validates and brands a slice hash string; throws InvalidSliceHashError. */
export function asSliceHash(text: string): SliceHash {
  parseSliceHash(text)
  return text as SliceHash
}

/** The binary CID of a slice hash (24 bytes), for wire records and storage keys. */
export function sliceHashToBytes(hash: SliceHash | string): Uint8Array {
  return encodeCidBytes({ codec: CODEC_RAW, multihash: parseSliceHash(hash) })
}

/** The text form of a binary slice CID; throws InvalidSliceHashError. */
export function sliceHashFromBytes(bytes: Uint8Array): SliceHash {
  const cid = decodeCidBytes(bytes)
  if (!cid || cid.codec !== CODEC_RAW || encodeCidBytes(cid).length !== bytes.length) {
    throw new InvalidSliceHashError(
      'Bytes are not a binary SDS slice CID',
      'Expected 24 bytes: 0x01 0x55 0x1b 0x14 and a 20-byte digest',
    )
  }
  return formatCid(cid) as SliceHash
}

// Keccak instances are cheap to reuse and costly to create (WASM instantiation): keep a few.
const keccakPool: KeccakStream[] = []
const KECCAK_POOL_MAX = 8

/**
 * An incremental slice hash: feed a slice's bytes as they arrive, so hashing overlaps the network, then
 * {@link SliceHasher.finish}. WebAssembly Keccak, several times faster than {@link computeSliceHash}.
 */
export interface SliceHasher {
  update(piece: Uint8Array): void
  /** The SDS slice hash of everything fed so far; the hasher cannot be used afterwards. */
  finish(): SliceHash
}

/**
 * Starts an incremental slice hash for slice `sliceNumber` of `fileHash`.
 *
 * @example
 * ```ts
 * const h = await createSliceHasher(1, fileHash)
 * for (const piece of pieces) h.update(piece)
 * h.finish() === expectedSliceHash
 * ```
 */
export async function createSliceHasher(
  sliceNumber: number,
  fileHash: FileHash | string,
): Promise<SliceHasher> {
  const prefix = sliceNumberPrefix(sliceNumber)
  const keccak = keccakPool.pop() ?? (await createKeccakStream())
  keccak.reset()
  keccak.update(prefix)
  let done = false
  return {
    update(piece) {
      if (!done) keccak.update(piece)
    },
    finish() {
      done = true
      const digest = keccak.digest()
      if (keccakPool.length < KECCAK_POOL_MAX) keccakPool.push(keccak)
      return sliceHashFromInnerDigest(digest, fileHash)
    },
  }
}

/**
 * The slice hash of one slice in memory, hashed in WebAssembly without copying the slice: the fast path
 * for verifying fetched slices.
 *
 * @example
 * ```ts
 * if ((await hashSlice(number, data, fileHash)) !== expected) throw new Error('corrupt slice')
 * ```
 */
export async function hashSlice(
  sliceNumber: number,
  data: Uint8Array,
  fileHash: FileHash | string,
): Promise<SliceHash> {
  const hasher = await createSliceHasher(sliceNumber, fileHash)
  hasher.update(data)
  return hasher.finish()
}
