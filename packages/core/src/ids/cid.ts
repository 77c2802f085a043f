import { decodeBase32Hex, encodeBase32Hex } from '../encoding/base32hex.js'
import { concatBytes } from '../encoding/bytes.js'
import { decodeVarint, encodeVarint } from '../encoding/varint.js'
import { isSdsMultihash } from './multihash.js'

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

/** Binary CIDv1: `0x01 ‖ varint(codec) ‖ multihash`. */
export function encodeCidBytes(cid: SdsCid): Uint8Array {
  return concatBytes(Uint8Array.of(1), encodeVarint(cid.codec), cid.multihash)
}

/** Text form: multibase `v` (base32hex) of the binary CID. */
export function formatCid(cid: SdsCid): string {
  return MULTIBASE_BASE32HEX + encodeBase32Hex(encodeCidBytes(cid))
}

/** Decodes binary CIDv1 bytes; undefined when they are not an SDS CID. */
export function decodeCidBytes(bytes: Uint8Array): SdsCid | undefined {
  if (bytes[0] !== 1) return undefined
  const codec = decodeVarint(bytes, 1)
  if (!codec) return undefined
  const multihash = bytes.subarray(1 + codec[1])
  if (!isSdsMultihash(multihash)) return undefined
  return { codec: codec[0], multihash: multihash.slice() }
}

/** Parses the text form; undefined when it is not a base32hex SDS CID. */
export function parseCid(text: string): SdsCid | undefined {
  if (typeof text !== 'string' || text.length < 2 || text.length > 128 || text[0] !== MULTIBASE_BASE32HEX) {
    return undefined
  }
  const bytes = decodeBase32Hex(text.slice(1))
  return bytes ? decodeCidBytes(bytes) : undefined
}
