// Browser→browser downloads with Proof of Traffic receipts on vs off, in one sitting: the same two
// pages restart their nodes with `receipts: true` / `false` (same stores: A keeps the file) and B
// downloads A's 64 MiB over WebRTC; each round also measures a raw RTCDataChannel between the same
// pages, so each mode gets its own ratio. Modes alternate round by round, so drift of the machine's
// load hits both alike. With receipts on, B gets a download ticket and signs receipts to A every 4
// slices; A holds them in IndexedDB and submits them to the meta service.
// Needs root (unshare -n) and the built fixture (`npm run build -w @stratos-edge/e2e`).
import { loadavg } from 'node:os'
import type { Page } from 'playwright-core'
import { NETNS_ADDRESS, setUpTestNetwork } from '../../e2e/scripts/test-network.mjs'
import { launchChromium } from '../../e2e/tests/support/browser.ts'
import { startResourceNode } from '../../e2e/tests/support/resource-node.ts'
import { serveStatic } from '../../e2e/tests/support/static-server.ts'
import { openFixturePage, openRawDataChannel, type RawChannelCalls } from '../fixture-pages.js'
import { E2E_FIXTURE, runInNetworkNamespace } from '../netns-launch.js'
import { median, writeResults } from '../results.js'

const MiB = 1024 * 1024
const SIZE = 64 * MiB
const REPS = Number(process.env.BENCH_REPS ?? 5)

await runInNetworkNamespace('receipts-browser', import.meta.url, inside)

interface Harness {
  harness: {
    start(o: unknown): Promise<{ peerId: string }>
    stop(): Promise<void>
    uploadRandom(size: number): Promise<{ uri: string; fileHash: string }>
    drain(ref: string, mode?: 'byob' | 'default'): Promise<{ size: number; ms: number }>
    traffic(): Promise<{ epochs: { bytesServed: number; receipts: number }[] }>
    events: { type: string; detail: { peerId?: string } }[]
    node: { drop(fileHash: string): Promise<void> }
  }
  bench: RawChannelCalls
}
type W = Window & Harness

async function inside(): Promise<void> {
  setUpTestNetwork()
  const server = await serveStatic(E2E_FIXTURE, '127.0.0.1')
  const resource = await startResourceNode(NETNS_ADDRESS)
  const browser = await launchChromium()
  const results: Record<string, unknown> = {
    sizeBytes: SIZE,
    repetitions: REPS,
    harness: 'playwright-core (CDP attached); the same two pages for both modes, alternating per round',
    loadAverageBefore: loadavg(),
  }
  try {
    const open = (): Promise<Page> => openFixturePage(browser, server.url)
    const options = (name: string, receipts: boolean) => ({
      resourceNodes: [resource.wsAddr],
      gatewayUrl: resource.gatewayUrl,
      iceServers: [],
      storeName: `bench-receipts-${name}`,
      receipts,
    })
    const a = await open()
    const b = await open()
    let mode: boolean | undefined
    let aPeer = ''
    const restart = async (receipts: boolean): Promise<void> => {
      if (mode === receipts) return
      if (mode !== undefined) {
        await a.evaluate(() => (window as unknown as W).harness.stop())
        await b.evaluate(() => (window as unknown as W).harness.stop())
      }
      aPeer = (await a.evaluate((o) => (window as unknown as W).harness.start(o), options('a', receipts)))
        .peerId
      await b.evaluate((o) => (window as unknown as W).harness.start(o), options('b', receipts))
      mode = receipts
    }
    await restart(true)
    const file = await a.evaluate((n) => (window as unknown as W).harness.uploadRandom(n), SIZE)

    await openRawDataChannel(a, b)
    const raw = async (): Promise<number> => {
      const receiving = b.evaluate((n) => (window as unknown as W).bench.rtcReceive(n), SIZE)
      const t0 = await a.evaluate((n) => (window as unknown as W).bench.rtcSend(n), SIZE)
      return SIZE / 1e6 / (((await receiving) - t0) / 1000)
    }
    const full = async (): Promise<number> => {
      await b.evaluate((f) => (window as unknown as W).harness.node.drop(f), file.fileHash)
      const from = await b.evaluate(() => (window as unknown as W).harness.events.length)
      const got = await b.evaluate((u) => (window as unknown as W).harness.drain(u), file.uri)
      if (got.size !== SIZE) throw new Error(`downloaded ${got.size} bytes`)
      const events = await b.evaluate((n) => (window as unknown as W).harness.events.slice(n), from)
      const fetched = events.filter((e) => e.type === 'slice:fetched')
      if (!fetched.every((e) => e.detail.peerId === aPeer)) throw new Error('a slice did not come from A')
      return SIZE / 1e6 / (got.ms / 1000)
    }
    const runs = {
      on: { full: [] as number[], raw: [] as number[] },
      off: { full: [] as number[], raw: [] as number[] },
    }
    for (const receipts of [true, false]) {
      // Warm-up per mode: the first download after a start also dials A over WebRTC.
      await restart(receipts)
      await full()
    }
    for (let i = 0; i < REPS; i++) {
      for (const receipts of i % 2 === 0 ? [true, false] : [false, true]) {
        await restart(receipts)
        const m = receipts ? runs.on : runs.off
        m.full.push(await full())
        m.raw.push(await raw())
      }
    }
    await restart(true)
    const held = await a.evaluate(() => (window as unknown as W).harness.traffic())
    const ratio = (m: { full: number[]; raw: number[] }) => median(m.full) / median(m.raw)
    results.receiptsOn = {
      fullStackMBps: median(runs.on.full),
      rawDataChannelMBps: median(runs.on.raw),
      ratio: ratio(runs.on),
      runs: runs.on,
    }
    results.receiptsOff = {
      fullStackMBps: median(runs.off.full),
      rawDataChannelMBps: median(runs.off.raw),
      ratio: ratio(runs.off),
      runs: runs.off,
    }
    results.onOverOff = ratio(runs.on) / ratio(runs.off)
    results.receiptsHeldByA = held.epochs.map((e) => ({ bytes: e.bytesServed, receipts: e.receipts }))
    results.loadAverageAfter = loadavg()
    console.log(
      `receipts on: ${median(runs.on.full).toFixed(1)} MB/s, raw ${median(runs.on.raw).toFixed(1)}, ratio ${ratio(runs.on).toFixed(2)}`,
    )
    console.log(
      `receipts off: ${median(runs.off.full).toFixed(1)} MB/s, raw ${median(runs.off.raw).toFixed(1)}, ratio ${ratio(runs.off).toFixed(2)}`,
    )
    console.log(
      `on/off: ${(ratio(runs.on) / ratio(runs.off)).toFixed(2)}; load ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
    )
  } finally {
    await browser.close().catch(() => {})
    await resource.stop().catch(() => {})
    await server.close().catch(() => {})
  }
  writeResults('receipts-browser', results)
}
