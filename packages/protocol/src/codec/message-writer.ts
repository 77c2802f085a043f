import { encodeVarint } from './varint.js'

const encoder = new TextEncoder()

/** Builds one message body: fields appended in order, joined by {@link MessageWriter.finish}. */
export class MessageWriter {
  private readonly parts: Uint8Array[] = []
  private size = 0

  private push(part: Uint8Array): this {
    this.parts.push(part)
    this.size += part.length
    return this
  }

  u8(value: number): this {
    return this.push(Uint8Array.of(value & 0xff))
  }

  varint(value: number): this {
    return this.push(encodeVarint(value))
  }

  /** Length-prefixed bytes. */
  bytes(value: Uint8Array): this {
    this.varint(value.length)
    return this.push(value)
  }

  /** Length-prefixed UTF-8. */
  string(value: string): this {
    return this.bytes(encoder.encode(value))
  }

  /** Bytes without a length (the rest of the message). */
  raw(value: Uint8Array): this {
    return this.push(value)
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.size)
    let o = 0
    for (const p of this.parts) {
      out.set(p, o)
      o += p.length
    }
    return out
  }
}
