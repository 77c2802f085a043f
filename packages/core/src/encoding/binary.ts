import { DecodeError, InvalidArgumentError } from '../errors.js'
import { concatBytes, fromUtf8, utf8 } from './bytes.js'
import { decodeVarint, encodeVarint } from './varint.js'

function checkInteger(value: number | bigint, limit: number | bigint, type: string): void {
  const ok =
    typeof value === 'bigint'
      ? value >= 0n && value < BigInt(limit)
      : Number.isSafeInteger(value) && value >= 0 && value < Number(limit)
  if (!ok)
    throw new InvalidArgumentError(
      `${String(value)} is not a ${type}`,
      'Pass a non-negative whole number in range',
    )
}

/**
 * Append-only writer for the deterministic binary records (manifests, tickets, receipts).
 * Fixed-width integers are big-endian; variable-length fields carry a varint length.
 */
export class BinaryWriter {
  private readonly parts: Uint8Array[] = []

  u8(value: number): this {
    this.parts.push(Uint8Array.of(value & 0xff))
    return this
  }

  u32(value: number): this {
    checkInteger(value, 2 ** 32, 'u32')
    const b = new Uint8Array(4)
    new DataView(b.buffer).setUint32(0, value)
    this.parts.push(b)
    return this
  }

  u64(value: number | bigint): this {
    checkInteger(value, 2n ** 64n, 'u64')
    const b = new Uint8Array(8)
    new DataView(b.buffer).setBigUint64(0, BigInt(value))
    this.parts.push(b)
    return this
  }

  varint(value: number): this {
    this.parts.push(encodeVarint(value))
    return this
  }

  fixed(bytes: Uint8Array): this {
    this.parts.push(bytes)
    return this
  }

  bytes(bytes: Uint8Array): this {
    return this.varint(bytes.length).fixed(bytes)
  }

  string(text: string): this {
    return this.bytes(utf8(text))
  }

  finish(): Uint8Array {
    return concatBytes(...this.parts)
  }
}

/**
 * Bounds-checked reader. Every read that would pass the end, and every length above the caller's limit,
 * throws DecodeError naming the record, so garbage input never escapes as a RangeError.
 */
export class BinaryReader {
  private offset = 0
  private readonly view: DataView

  constructor(
    private readonly data: Uint8Array,
    private readonly record: string,
  ) {
    if (!(data instanceof Uint8Array)) {
      throw new DecodeError(
        `Cannot decode ${record}: input is not a Uint8Array`,
        'Pass the record as bytes (wrap an ArrayBuffer in a Uint8Array)',
      )
    }
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength)
  }

  get position(): number {
    return this.offset
  }

  get remaining(): number {
    return this.data.length - this.offset
  }

  fail(what: string): never {
    throw new DecodeError(
      `Cannot decode ${this.record}: ${what} at byte ${this.offset}`,
      'The data is truncated or not a record of this kind; fetch it again from a trusted source',
    )
  }

  private need(n: number): void {
    if (this.offset + n > this.data.length) this.fail(`truncated (need ${n} more bytes)`)
  }

  u8(): number {
    this.need(1)
    return this.view.getUint8(this.offset++)
  }

  u32(): number {
    this.need(4)
    const v = this.view.getUint32(this.offset)
    this.offset += 4
    return v
  }

  u64(): bigint {
    this.need(8)
    const v = this.view.getBigUint64(this.offset)
    this.offset += 8
    return v
  }

  /** A u64 that must fit a JavaScript safe integer (sizes, timestamps). */
  safeU64(field: string): number {
    const v = this.u64()
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(`${field} too large`)
    return Number(v)
  }

  varint(field: string, max: number): number {
    const r = decodeVarint(this.data, this.offset)
    if (r === undefined) this.fail(`bad varint for ${field}`)
    const [value, read] = r
    if (value > max) this.fail(`${field} ${value} exceeds limit ${max}`)
    this.offset += read
    return value
  }

  fixed(n: number): Uint8Array {
    this.need(n)
    const out = this.data.slice(this.offset, this.offset + n)
    this.offset += n
    return out
  }

  /** Reads and checks a record's magic bytes. */
  magic(expected: Uint8Array): void {
    const got = this.fixed(expected.length)
    if (!got.every((b, i) => b === expected[i])) this.fail(`bad magic (not a ${this.record})`)
  }

  bytes(field: string, maxLength: number): Uint8Array {
    return this.fixed(this.varint(`${field} length`, maxLength))
  }

  string(field: string, maxBytes: number): string {
    const bytes = this.bytes(field, maxBytes)
    try {
      return fromUtf8(bytes)
    } catch {
      this.fail(`${field} is not valid UTF-8`)
    }
  }

  /** Throws unless every byte was consumed: trailing bytes mean the record is not canonical. */
  end(): void {
    if (this.offset !== this.data.length) this.fail(`${this.data.length - this.offset} trailing bytes`)
  }
}
