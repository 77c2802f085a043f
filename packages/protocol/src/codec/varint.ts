import { DecodeError } from '@stratos-edge/core'

/** Largest value a varint may carry here (2^53 - 1, JavaScript's safe integers). */
const MAX_VARINT_BYTES = 8

/** Unsigned LEB128 length of `value`. */
export function varintLength(value: number): number {
  let n = 1
  let v = value
  while (v >= 0x80) {
    v = Math.floor(v / 128)
    n++
  }
  return n
}

/** Writes `value` as unsigned LEB128 into `out` at `offset`; returns the new offset. */
export function writeVarint(value: number, out: Uint8Array, offset: number): number {
  let v = value
  let o = offset
  while (v >= 0x80) {
    out[o++] = (v % 128) | 0x80
    v = Math.floor(v / 128)
  }
  out[o++] = v
  return o
}

/** Encodes a non-negative safe integer as unsigned LEB128. */
export function encodeVarint(value: number): Uint8Array {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`varint out of range: ${value}`)
  const out = new Uint8Array(varintLength(value))
  writeVarint(value, out, 0)
  return out
}

/**
 * Reads an unsigned LEB128 varint from `get(i)` (bytes at offset+i). Returns `undefined` when more
 * bytes are needed; throws DecodeError when it is longer than 8 bytes or not minimal.
 */
export function readVarint(
  get: (i: number) => number | undefined,
  available: number,
): { value: number; length: number } | undefined {
  let value = 0
  let scale = 1
  for (let i = 0; i < MAX_VARINT_BYTES; i++) {
    if (i >= available) return undefined
    const b = get(i) as number
    value += (b & 0x7f) * scale
    if ((b & 0x80) === 0) {
      if (b === 0 && i > 0) throw new DecodeError('Non-minimal varint', 'The peer sent a malformed message')
      return { value, length: i + 1 }
    }
    scale *= 128
  }
  throw new DecodeError('Varint longer than 8 bytes', 'The peer sent a malformed message')
}
