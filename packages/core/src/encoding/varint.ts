/** Unsigned LEB128 varints, as multiformats use them. Limited to safe integers. */

/** Encodes a non-negative safe integer as an unsigned varint. */
export function encodeVarint(value: number): Uint8Array {
  const out: number[] = []
  let v = value
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80)
    v = Math.floor(v / 0x80)
  }
  out.push(v)
  return Uint8Array.from(out)
}

/**
 * Decodes an unsigned varint at `offset`. Returns `[value, bytesRead]`, or undefined when truncated,
 * non-minimal, or above 2^53.
 */
export function decodeVarint(bytes: Uint8Array, offset = 0): [number, number] | undefined {
  let value = 0
  let multiplier = 1
  for (let i = 0; i < 8; i++) {
    const byte = bytes[offset + i]
    if (byte === undefined) return undefined
    value += (byte & 0x7f) * multiplier
    if ((byte & 0x80) === 0) {
      if (i > 0 && byte === 0) return undefined
      return Number.isSafeInteger(value) ? [value, i + 1] : undefined
    }
    multiplier *= 0x80
  }
  return undefined
}
