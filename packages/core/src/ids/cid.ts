import { CID } from 'multiformats/cid'
import * as Digest from 'multiformats/hashes/digest'
import { decodeBase32Hex, encodeBase32Hex } from '../encoding/base32hex.js'
import { isSdsMultihash } from './multihash.js'

// Ids are not on a hot path: one is made per slice (4 MiB by default) and parsed per request. Measured
// (Node 22, 2 shared cores under load, CPU time, old and new builds interleaved, medians of 7):
// sliceHashFromInnerDigest 12.9/10.3 µs hand-written vs 15.8/13.0 µs with multiformats, i.e. ~2.7 µs more
// per slice: 0.007% of hashing a 4 MiB slice, ~2% at the smallest (16 KiB) slices. parseFileHash 0.9 µs vs
// 2.2–4.7 µs per call. Small enough that the library is used.

/** Multicodec of SDS file content. */
export const CODEC_SDS = 0x66
/** Multicodec SDS uses for video files (streamed content). */
export const CODEC_VIDEO = 0x72
/** Multicodec `raw`, used for slice hashes. */
export const CODEC_RAW = 0x55
/** Multibase prefix of base32hex lower case. */
export const MULTIBASE_BASE32HEX = 'v'

/** A decoded CIDv1 with an SDS (keccak-256/20) multihash. */
export interface SdsCid {
  readonly codec: number
  /** 22 bytes: `0x1b 0x14 ‖ digest`. */
  readonly multihash: Uint8Array
}

/** Binary CIDv1: `0x01 ‖ varint(codec) ‖ multihash`, built by `multiformats`' CID. */
export function encodeCidBytes(cid: SdsCid): Uint8Array {
  return CID.createV1(cid.codec, Digest.decode(cid.multihash)).bytes
}

/** Text form: multibase `v` (base32hex) of the binary CID. */
export function formatCid(cid: SdsCid): string {
  return MULTIBASE_BASE32HEX + encodeBase32Hex(encodeCidBytes(cid))
}

/** Decodes binary CIDv1 bytes; undefined when they are not an SDS CID. */
export function decodeCidBytes(bytes: Uint8Array): SdsCid | undefined {
  // CID.decode would read a 34-byte sha2-256 multihash as CIDv0: only version 1 is an SDS id.
  if (bytes[0] !== 1) return undefined
  let cid: CID
  try {
    cid = CID.decode(bytes)
  } catch {
    return undefined
  }
  const multihash = cid.multihash.bytes
  if (!isSdsMultihash(multihash)) return undefined
  return { codec: cid.code, multihash: multihash.slice() }
}

/** Parses the text form; undefined when it is not a base32hex SDS CID. */
export function parseCid(text: string): SdsCid | undefined {
  if (typeof text !== 'string' || text.length < 2 || text.length > 128 || text[0] !== MULTIBASE_BASE32HEX) {
    return undefined
  }
  const bytes = decodeBase32Hex(text.slice(1))
  return bytes ? decodeCidBytes(bytes) : undefined
}
