/**
 * RFC 4648 base32hex, lower case, no padding: the alphabet of multibase prefix `v`, which SDS ids use.
 */
const ALPHABET = '0123456789abcdefghijklmnopqrstuv'
const LOOKUP = new Int8Array(128).fill(-1)
for (let i = 0; i < ALPHABET.length; i++) {
  LOOKUP[ALPHABET.charCodeAt(i)] = i
}

/** Encodes bytes as lower-case unpadded base32hex. */
export function encodeBase32Hex(bytes: Uint8Array): string {
  let out = ''
  let buffer = 0
  let bits = 0
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte
    bits += 8
    while (bits >= 5) {
      bits -= 5
      out += ALPHABET[(buffer >>> bits) & 31]
    }
    buffer &= (1 << bits) - 1
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31]
  return out
}

/**
 * Decodes unpadded lower-case base32hex (the canonical form). Returns undefined for characters outside the alphabet or
 * non-canonical trailing bits, so callers can raise their own typed error.
 */
export function decodeBase32Hex(text: string): Uint8Array | undefined {
  const out = new Uint8Array(Math.floor((text.length * 5) / 8))
  let buffer = 0
  let bits = 0
  let index = 0
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    const value = code < 128 ? (LOOKUP[code] as number) : -1
    if (value < 0) return undefined
    buffer = (buffer << 5) | value
    bits += 5
    if (bits >= 8) {
      bits -= 8
      out[index++] = (buffer >>> bits) & 0xff
    }
    buffer &= (1 << bits) - 1
  }
  // Leftover bits must be zero padding and fewer than 5, otherwise the text is not canonical.
  if (bits >= 5 || buffer !== 0) return undefined
  return out
}
