/** Unsigned LEB128 varints, as multiformats use them, through `multiformats`' own codec. */
import { varint } from 'multiformats'

/** Encodes a non-negative safe integer as an unsigned varint. */
export function encodeVarint(value: number): Uint8Array {
  return varint.encodeTo(value, new Uint8Array(varint.encodingLength(value)))
}

/**
 * Decodes an unsigned varint at `offset`. Returns `[value, bytesRead]`, or undefined when truncated,
 * non-minimal, or above 2^53 (multiformats throws a RangeError for the first two; callers here raise
 * their own typed error instead).
 */
export function decodeVarint(bytes: Uint8Array, offset = 0): [number, number] | undefined {
  try {
    const [value, read] = varint.decode(bytes, offset)
    return Number.isSafeInteger(value) && read <= 8 ? [value, read] : undefined
  } catch {
    return undefined
  }
}
