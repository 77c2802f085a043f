import type { Libp2p, Stream } from '@libp2p/interface'
import { afterEach, describe, expect, it } from 'vitest'
import {
  createMemorySliceStore,
  dataFramePrefix,
  encodeFrame,
  encodePushHeader,
  pushSlice,
  registerSliceProtocols,
  SLICE_PUSH_PROTOCOL,
  type SliceRecord,
} from '../src/index.js'
import { createTestNode, makeFile } from './helpers.js'

/** Opens a push stream and sends a header announcing `slice` (its bytes are the caller's to send). */
async function announce(from: Libp2p, to: Libp2p, slice: SliceRecord): Promise<Stream> {
  const s = await from.dialProtocol(to.getMultiaddrs(), SLICE_PUSH_PROTOCOL)
  const { hash, fileHash, number, data } = slice
  s.send(encodeFrame(encodePushHeader({ hash, fileHash, number, size: data.length, forward: [] })))
  return s
}

describe('slice push limits against slow or greedy peers', () => {
  const nodes: Libp2p[] = []
  const timers: ReturnType<typeof setInterval>[] = []
  afterEach(async () => {
    for (const t of timers.splice(0)) clearInterval(t)
    await Promise.all(nodes.splice(0).map((n) => n.stop()))
  })
  const start = async (count: number) => {
    const list = await Promise.all(Array.from({ length: count }, () => createTestNode()))
    nodes.push(...list)
    return list
  }

  it('a push dripping a byte per frame-timeout still fails at its whole-slice deadline, freeing its budget', async () => {
    const [server, slow, honest] = (await start(3)) as [Libp2p, Libp2p, Libp2p]
    const store = createMemorySliceStore()
    const errors: Array<{ name: string; at: number }> = []
    const t0 = Date.now()
    await registerSliceProtocols(server, {
      store,
      timeout: 1_000,
      maxBufferedBytes: 1024 * 1024,
      maxBufferedBytesPerPeer: 1024 * 1024,
      minPushRate: 1024 * 1024, // deadline: 5 s + 1 s for the 1 MiB slice
      onStreamError: (e) => errors.push({ name: e.name, at: Date.now() - t0 }),
    })
    const [big] = makeFile(1024 * 1024, 1024 * 1024).slices as [SliceRecord]
    const s = await announce(slow, server, big)
    let sent = 0
    timers.push(
      setInterval(() => {
        // One byte every 400 ms: well within the 1 s per-frame timeout.
        if (s.status !== 'open' || s.writeStatus !== 'writable') return
        s.send(dataFramePrefix(1))
        s.send(big.data.subarray(sent, sent + 1))
        sent++
      }, 400),
    )
    await expect
      .poll(() => errors.map((e) => e.name), { timeout: 10_000, interval: 100 })
      .toEqual(['ProtocolTimeoutError'])
    expect(errors[0]!.at).toBeGreaterThan(5_500)
    expect(errors[0]!.at).toBeLessThan(8_000)
    // The whole shared budget was the slow peer's; now another can push at once.
    const [other] = makeFile(100_000, 100_000).slices as [SliceRecord]
    await pushSlice(honest, server.getMultiaddrs(), other, { timeout: 2_000 })
    expect(await store.has(other.hash)).toBe(true)
  })

  it("one peer's reservations are capped: its extra headers wait, another peer pushes straight away", async () => {
    const [server, greedy, honest] = (await start(3)) as [Libp2p, Libp2p, Libp2p]
    const store = createMemorySliceStore()
    await registerSliceProtocols(server, {
      store,
      timeout: 5_000,
      maxBufferedBytes: 4 * 1024 * 1024,
      maxBufferedBytesPerPeer: 1024 * 1024,
    })
    // Four streams each announcing 1 MiB and sending nothing: without a per-peer cap they reserve the
    // whole 4 MiB and every other pusher waits for them.
    const slices = makeFile(4 * 1024 * 1024, 1024 * 1024).slices
    for (const slice of slices) await announce(greedy, server, slice)
    await new Promise((r) => setTimeout(r, 300))
    const [other] = makeFile(1024 * 1024, 1024 * 1024).slices as [SliceRecord]
    await pushSlice(honest, server.getMultiaddrs(), other, { timeout: 2_000 })
    expect(await store.has(other.hash)).toBe(true)
  })
})
