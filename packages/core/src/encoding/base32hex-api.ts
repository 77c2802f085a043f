import { decodeBase32Hex, encodeBase32Hex } from './base32hex.js'

/** Lower-case unpadded RFC 4648 base32hex, the multibase `v` alphabet of SDS ids. */
export const base32hex = {
  /** Encodes bytes. */
  encode: encodeBase32Hex,
  /** Decodes text; undefined when it is not canonical base32hex. */
  decode: decodeBase32Hex,
} as const
