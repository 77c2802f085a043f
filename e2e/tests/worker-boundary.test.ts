// Browser e2e of the page/worker boundary. The worker's stand-in RTCPeerConnection reports the states of
// the page's real one. And a light node whose worker ends (closes itself, as a crash would end it) or hangs (a busy
// loop that never yields) while a call is waiting. The page must reject the waiting call with
// WorkerLostError (within 2 s for an ended worker, through its life lock; after the 4 s heartbeat timeout for
// a hung one) and close its RTCPeerConnections (the worker's WebRTC links to other tabs).
import assert from 'node:assert/strict'
import { dirname, join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { NETNS_ADDRESS } from '../scripts/test-network.mjs'
import { launchChromium } from './support/browser.ts'
import { type ResourceNode, startResourceNode } from './support/resource-node.ts'
import { serveStatic } from './support/static-server.ts'

const fixtureDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist')
const FILE_SIZE = 4 * 1024 * 1024
const SLICE_SIZE = 1024 * 1024

interface Harness {
  start(o: unknown): Promise<{ peerId: string }>
  uploadRandom(n: number): Promise<{ fileHash: string; uri: string; sha256: string }>
  download(ref: string): Promise<{ size: number; sha256: string }>
  lastProgress?: { phase: string }
}
type Win = {
  harness: Harness
  peerConnections: RTCPeerConnection[]
  pending?: { settledAt?: number; name?: string }
}

let browser: Browser
let server: { url: string; close(): Promise<void> }
let resource: ResourceNode
const contexts: BrowserContext[] = []

/** Page init script: keeps every RTCPeerConnection the page creates in `window.peerConnections`. */
function trackPeerConnections(): void {
  const w = window as unknown as { peerConnections: RTCPeerConnection[] }
  w.peerConnections = []
  const Real = window.RTCPeerConnection
  window.RTCPeerConnection = class extends Real {
    constructor(config?: RTCConfiguration) {
      super(config)
      w.peerConnections.push(this)
    }
  } as typeof RTCPeerConnection
}

async function openNode(name: string): Promise<{ page: Page; peerId: string }> {
  const ctx = await browser.newContext()
  contexts.push(ctx)
  await ctx.addInitScript(trackPeerConnections)
  const page = await ctx.newPage()
  page.on('pageerror', (err) => process.stderr.write(`[${name} pageerror] ${err.message}\n`))
  await page.goto(`${server.url}/index.html`)
  await page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready')
  const { peerId } = await page.evaluate((options) => (window as unknown as Win).harness.start(options), {
    resourceNodes: [resource.wsAddr],
    ...(resource.gatewayUrl ? { gatewayUrl: resource.gatewayUrl } : {}),
    iceServers: [],
    storeName: `e2e-lost-${name}`,
    sliceSize: SLICE_SIZE,
  })
  return { page, peerId }
}

/**
 * Opens a node that downloads `uri` from the uploader over WebRTC (so its page holds peer connections),
 * starts a 32 MiB upload, and calls `kill` on its worker while the upload runs. Returns how long after
 * `kill` the upload's promise settled, and how, and the page's peer connections then.
 */
async function killMidCall(name: string, uri: string, kill: string) {
  const node = await openNode(name)
  await node.page.evaluate((r) => (window as unknown as Win).harness.download(r), uri)
  const open = await node.page.evaluate(
    () => (window as unknown as Win).peerConnections.filter((pc) => pc.connectionState !== 'closed').length,
  )
  assert.ok(open > 0, 'the page holds a peer connection for the worker')
  await node.page.evaluate(() => {
    const w = window as unknown as Win
    const pending: NonNullable<Win['pending']> = {}
    w.pending = pending
    void w.harness.uploadRandom(32 * 1024 * 1024).then(
      () => {
        pending.settledAt = Date.now()
        pending.name = 'resolved'
      },
      (err: Error) => {
        pending.settledAt = Date.now()
        pending.name = err.message.includes('WorkerLostError') ? 'WorkerLostError' : err.name
      },
    )
  })
  await node.page.waitForFunction(
    () => (window as unknown as Win).harness.lastProgress !== undefined,
    undefined,
    {
      timeout: 30_000,
      polling: 10,
    },
  )
  const worker = node.page.workers()[0]
  assert.ok(worker, 'the page has its worker')
  const killedAt = Date.now()
  // The evaluation never returns (the worker ends or spins): not awaited.
  worker.evaluate(kill).catch(() => {})
  await node.page.waitForFunction(
    () => (window as unknown as Win).pending?.settledAt !== undefined,
    undefined,
    {
      timeout: 10_000,
      polling: 20,
    },
  )
  const after = await node.page.evaluate(() => {
    const w = window as unknown as Win
    return {
      settledAt: w.pending?.settledAt ?? 0,
      name: w.pending?.name,
      states: w.peerConnections.map((pc) => pc.connectionState),
    }
  })
  return { ms: after.settledAt - killedAt, name: after.name, states: after.states }
}

describe('the worker boundary', () => {
  let uri: string

  before(async () => {
    server = await serveStatic(fixtureDir, '127.0.0.1')
    resource = await startResourceNode(NETNS_ADDRESS)
    browser = await launchChromium()
    const uploader = await openNode('uploader')
    ;({ uri } = await uploader.page.evaluate(
      (n) => (window as unknown as Win).harness.uploadRandom(n),
      FILE_SIZE,
    ))
  })

  after(async () => {
    for (const c of contexts) await c.close().catch(() => {})
    await browser?.close().catch(() => {})
    await resource?.stop().catch(() => {})
    await server?.close().catch(() => {})
  })

  test("the worker's stand-in peer connections report the page's connection, ICE and signaling states", async () => {
    const node = await openNode('states')
    const worker = node.page.workers()[0]
    assert.ok(worker, 'the page has its worker')
    // Every stand-in that takes part in a negotiation is kept (libp2p holds them privately).
    await worker.evaluate(() => {
      const g = globalThis as unknown as {
        RTCPeerConnection: typeof RTCPeerConnection
        seen: RTCPeerConnection[]
      }
      g.seen = []
      const proto = g.RTCPeerConnection.prototype
      const set = proto.setRemoteDescription
      proto.setRemoteDescription = function (this: RTCPeerConnection, d: RTCSessionDescriptionInit) {
        if (!g.seen.includes(this)) g.seen.push(this)
        return set.call(this, d)
      }
    })
    await node.page.evaluate((r) => (window as unknown as Win).harness.download(r), uri)
    type States = [string, string, string][]
    const inWorker = () =>
      worker.evaluate(() =>
        (globalThis as unknown as { seen: RTCPeerConnection[] }).seen
          .map((pc) => [pc.connectionState, pc.iceConnectionState, pc.signalingState])
          .sort(),
      ) as Promise<States>
    const onPage = () =>
      node.page.evaluate(() =>
        (window as unknown as Win).peerConnections
          .map((pc) => [pc.connectionState, pc.iceConnectionState, pc.signalingState])
          .sort(),
      ) as Promise<States>
    const worker1 = await inWorker()
    const page1 = await onPage()
    process.stderr.write(`stand-in states ${JSON.stringify(worker1)}; page ${JSON.stringify(page1)}\n`)
    assert.ok(worker1.length > 0, 'the worker negotiated a peer connection')
    assert.ok(
      worker1.some(
        ([c, ice, sig]) => c === 'connected' && /connected|completed/.test(ice) && sig === 'stable',
      ),
      `a connected stand-in: ${JSON.stringify(worker1)}`,
    )
    assert.deepEqual(worker1, page1)
  })

  test('a worker that ends mid-call: the call rejects with WorkerLostError within 2 s, peer connections close', async () => {
    const r = await killMidCall('ended', uri, 'setTimeout(() => self.close()); 0')
    process.stderr.write(`worker ended: call rejected after ${r.ms} ms (${r.name})\n`)
    assert.equal(r.name, 'WorkerLostError')
    assert.ok(r.ms < 2000, `rejected after ${r.ms} ms`)
    assert.ok(r.states.length > 0 && r.states.every((s) => s === 'closed'), `peer connections: ${r.states}`)
  })

  test('a worker that hangs mid-call: the call rejects with WorkerLostError after the 4 s heartbeat, peer connections close', async () => {
    const r = await killMidCall('hung', uri, 'for (const end = Date.now() + 60000; Date.now() < end; );')
    process.stderr.write(`worker hung: call rejected after ${r.ms} ms (${r.name})\n`)
    assert.equal(r.name, 'WorkerLostError')
    // The heartbeat allows 4 s of silence (a busy worker on a loaded machine is not hung), checked every 200 ms.
    assert.ok(r.ms >= 3500 && r.ms < 5000, `rejected after ${r.ms} ms`)
    assert.ok(r.states.length > 0 && r.states.every((s) => s === 'closed'), `peer connections: ${r.states}`)
  })
})
