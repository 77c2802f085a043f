import { DecodeError } from '@stratos-edge/core'
import { readVarint } from './varint.js'

const decoder = new TextDecoder('utf-8', { fatal: true })

/**
 * Bounded reader over one received message body. Every read checks the remaining length and every
 * count or length has a caller-given maximum; violations throw core's `DecodeError`.
 */
export class MessageReader {
  private offset = 0

  constructor(
    private readonly buf: Uint8Array,
    private readonly what: string,
  ) {}

  get remaining(): number {
    return this.buf.length - this.offset
  }

  fail(why: string): never {
    throw new DecodeError(
      `Malformed ${this.what}: ${why}`,
      'The peer sent a malformed message; the stream is closed',
    )
  }

  u8(): number {
    if (this.remaining < 1) this.fail('truncated')
    return this.buf[this.offset++] as number
  }

  varint(field: string, max = Number.MAX_SAFE_INTEGER): number {
    const r = readVarint((i) => this.buf[this.offset + i], this.remaining)
    if (r === undefined) this.fail(`truncated ${field}`)
    if (r.value > max) this.fail(`${field} ${r.value} is over the limit ${max}`)
    this.offset += r.length
    return r.value
  }

  /** Exactly `n` bytes. Returns a view, not a copy. */
  fixed(field: string, n: number): Uint8Array {
    if (n > this.remaining) this.fail(`truncated ${field}`)
    const out = this.buf.subarray(this.offset, this.offset + n)
    this.offset += n
    return out
  }

  /** Length-prefixed bytes of at most `max` bytes. Returns a view, not a copy. */
  bytes(field: string, max: number): Uint8Array {
    const n = this.varint(`${field} length`, max)
    if (n > this.remaining) this.fail(`truncated ${field}`)
    const out = this.buf.subarray(this.offset, this.offset + n)
    this.offset += n
    return out
  }

  string(field: string, maxBytes: number): string {
    const b = this.bytes(field, maxBytes)
    try {
      return decoder.decode(b)
    } catch {
      this.fail(`${field} is not UTF-8`)
    }
  }

  /** The rest of the message, as a view. */
  rest(): Uint8Array {
    const out = this.buf.subarray(this.offset)
    this.offset = this.buf.length
    return out
  }

  /** Throws unless every byte was consumed. */
  end(): void {
    if (this.remaining !== 0) this.fail(`${this.remaining} trailing bytes`)
  }
}
