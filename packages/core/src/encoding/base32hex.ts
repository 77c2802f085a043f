/**
 * RFC 4648 base32hex, lower case, no padding: the alphabet of multibase prefix `v`, which SDS ids use.
 * The codec is `multiformats`' own. Its decoder also takes upper case and `=` padding; ids here have
 * one spelling only (they are map keys), so anything but lower-case alphabet characters is refused first.
 */
import { base32hex } from 'multiformats/bases/base32'

const CANONICAL = /^[0-9a-v]*$/

/** Encodes bytes as lower-case unpadded base32hex. */
export function encodeBase32Hex(bytes: Uint8Array): string {
  return base32hex.baseEncode(bytes)
}

/**
 * Decodes unpadded lower-case base32hex (the canonical form). Returns undefined for characters outside the alphabet or
 * non-canonical trailing bits, so callers can raise their own typed error.
 */
export function decodeBase32Hex(text: string): Uint8Array | undefined {
  if (!CANONICAL.test(text)) return undefined
  try {
    return base32hex.baseDecode(text)
  } catch {
    return undefined
  }
}
