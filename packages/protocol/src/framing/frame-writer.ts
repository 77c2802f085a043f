import type { Stream } from '@libp2p/interface'
import { Uint8ArrayList } from 'uint8arraylist'
import { varintLength, writeVarint } from '../codec/varint.js'

/** The length prefix of a frame whose body is `bodyLength` bytes. */
export function framePrefix(bodyLength: number): Uint8Array {
  const out = new Uint8Array(varintLength(bodyLength))
  writeVarint(bodyLength, out, 0)
  return out
}

/** One frame (length prefix + body) as a single buffer; for small control messages. */
export function encodeFrame(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(varintLength(body.length) + body.length)
  const o = writeVarint(body.length, out, 0)
  out.set(body, o)
  return out
}

/**
 * Sends bytes on a stream and waits only when the stream asks for it (its send buffer is full), so
 * back-to-back writes do not serialize on per-piece awaits.
 */
export async function sendWithBackpressure(
  stream: Stream,
  data: Uint8Array | Uint8ArrayList,
  signal?: AbortSignal,
): Promise<void> {
  if (stream.writableNeedsDrain) await stream.onDrain({ signal })
  if (!stream.send(data)) await stream.onDrain({ signal })
}

/** Sends several frames in one stream write. */
export function framesToList(bodies: readonly Uint8Array[]): Uint8ArrayList {
  const list = new Uint8ArrayList()
  for (const b of bodies) list.append(framePrefix(b.length), b)
  return list
}
