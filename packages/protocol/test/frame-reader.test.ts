import { streamPair } from '@libp2p/utils'
import { describe, expect, it } from 'vitest'
import { encodeFrame, FrameReader, framesToList } from '../src/index.js'

describe('FrameReader over libp2p stream pairs', () => {
  it('reads frames split across chunks and joined in one chunk', async () => {
    const [a, b] = await streamPair()
    const reader = new FrameReader(b, { maxFrameBytes: 1 << 20 })
    const big = crypto.getRandomValues(new Uint8Array(40_000))
    const frame = encodeFrame(big)
    a.send(frame.subarray(0, 1))
    a.send(frame.subarray(1, 10))
    a.send(frame.subarray(10))
    a.send(framesToList([Uint8Array.of(1), Uint8Array.of(2, 3)]))
    await a.close()
    expect(await reader.next()).toEqual(big)
    expect(await reader.next()).toEqual(Uint8Array.of(1))
    expect(await reader.next()).toEqual(Uint8Array.of(2, 3))
    expect(await reader.next()).toBeNull()
  })

  it('sees data and the end when attached after the remote already closed', async () => {
    const [a, b] = await streamPair()
    a.send(encodeFrame(Uint8Array.of(7, 7)))
    await a.close()
    await new Promise((r) => setTimeout(r, 50))
    const reader = new FrameReader(b, { maxFrameBytes: 1024 })
    expect(await reader.next({ signal: AbortSignal.timeout(2000) })).toEqual(Uint8Array.of(7, 7))
    expect(await reader.next({ signal: AbortSignal.timeout(2000) })).toBeNull()
  })

  it('a stream that ends inside a frame is UnexpectedEndOfStreamError; a timeout is ProtocolTimeoutError', async () => {
    const [a, b] = await streamPair()
    const reader = new FrameReader(b, { maxFrameBytes: 1024 })
    await expect(reader.next({ signal: AbortSignal.timeout(50) })).rejects.toMatchObject({
      name: 'ProtocolTimeoutError',
    })
    a.send(encodeFrame(new Uint8Array(100)).subarray(0, 20))
    await a.close()
    await expect(reader.next()).rejects.toMatchObject({ name: 'UnexpectedEndOfStreamError' })
  })

  it('an oversized declared length is refused before the body arrives', async () => {
    const [a, b] = await streamPair()
    const reader = new FrameReader(b, { maxFrameBytes: 1000 })
    a.send(Uint8Array.of(0xe9, 0x07)) // 1001
    await expect(reader.next()).rejects.toMatchObject({ name: 'FrameTooLargeError' })
  })
})
