// Browser e2e: a light node in Chromium takes pushed slices only after `contribute`, and only within the
// contribution. A Node.js peer dials the page's node over /p2p-circuit/webrtc (a direct connection, as
// pushes never run over the relay) and pushes real slices; the refusals arrive as typed errors, before
// any slice byte is read, and the page's IndexedDB holds only what was accepted.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { Connection, Libp2p } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import { computeFileHash, computeSliceHash, type FileHash, type SliceHash } from '@stratos-edge/core'
import { pushSlice, type SliceRecord } from '@stratos-edge/protocol'
import type { Browser, Page } from 'playwright-core'
import { NETNS_ADDRESS } from '../scripts/test-network.mjs'
import { launchChromium } from './support/browser.ts'
import { FIXTURE_DIR, loadFixture } from './support/fixture-page.ts'
import { createNodePeer, dialRetry } from './support/node-peer.ts'
import { type ResourceNode, startResourceNode } from './support/resource-node.ts'
import { serveStatic } from './support/static-server.ts'

const SLICE = 64 * 1024
const fileHash = computeFileHash(new TextEncoder().encode('pushed to a light node')) as FileHash
const slices: SliceRecord[] = [1, 2, 3].map((number) => {
  const data = new Uint8Array(SLICE).map((_, i) => (i * number + 11) & 0xff)
  return { hash: computeSliceHash(number, data, fileHash) as SliceHash, fileHash, number, data }
})

interface Stat {
  multiaddrs: string[]
  store: { slices: number; cachedBytes: number; pinnedBytes: number }
}
interface Harness {
  start(o: unknown): Promise<{ peerId: string }>
  node: {
    stat(): Promise<Stat>
    contribute(o: { bytes: number }): Promise<{ budgetBytes: number }>
  }
}

let browser: Browser
let page: Page
let server: { url: string; close(): Promise<void> }
let resource: ResourceNode
let pusher: Libp2p
let toPage: Connection

const stat = () => page.evaluate(() => (window as unknown as { harness: Harness }).harness.node.stat())
const contribute = (bytes: number) =>
  page.evaluate(
    (b) => (window as unknown as { harness: Harness }).harness.node.contribute({ bytes: b }),
    bytes,
  )

async function pushRefusal(slice: SliceRecord): Promise<Error> {
  try {
    await pushSlice(pusher, toPage.remotePeer, slice, { timeout: 20_000 })
  } catch (err) {
    return err as Error
  }
  throw new Error(`slice ${slice.number} was accepted`)
}

describe('a light node takes pushes only after contribute', () => {
  before(async () => {
    server = await serveStatic(FIXTURE_DIR, '127.0.0.1')
    resource = await startResourceNode(NETNS_ADDRESS)
    browser = await launchChromium()
    page = await loadFixture(await (await browser.newContext()).newPage(), server.url)
    await page.evaluate((o) => (window as unknown as { harness: Harness }).harness.start(o), {
      resourceNodes: [resource.wsAddr],
      iceServers: [],
      storeName: 'e2e-push',
    })
    pusher = await createNodePeer()
    await pusher.dial(multiaddr(resource.wsAddr), { signal: AbortSignal.timeout(10_000) })
    const webrtc = (await stat()).multiaddrs.find((a) => a.includes('/p2p-circuit') && a.includes('/webrtc'))
    assert.ok(webrtc, 'the page node has a /p2p-circuit/webrtc address')
    toPage = await dialRetry(pusher, webrtc)
    assert.equal(toPage.limits, undefined, 'a direct WebRTC connection, not the relay')
  })

  after(async () => {
    await pusher?.stop().catch(() => {})
    await browser?.close().catch(() => {})
    await resource?.stop().catch(() => {})
    await server?.close().catch(() => {})
  })

  test('before contribute a push is refused with UnsupportedOperationError and nothing is stored', async () => {
    const err = await pushRefusal(slices[0]!)
    assert.equal(err.name, 'UnsupportedOperationError', `${err.name}: ${err.message}`)
    assert.match(err.message, /contributes no storage/)
    assert.equal((await stat()).store.slices, 0)
  })

  test('after contribute, slices are taken up to the contribution, then StoreFullError', async () => {
    await contribute(2 * SLICE + 1000)
    await pushSlice(pusher, toPage.remotePeer, slices[0]!, { timeout: 20_000 })
    await pushSlice(pusher, toPage.remotePeer, slices[1]!, { timeout: 20_000 })
    const err = await pushRefusal(slices[2]!)
    assert.equal(err.name, 'StoreFullError', `${err.name}: ${err.message}`)
    assert.match(err.message, new RegExp(`1000 of the ${2 * SLICE + 1000} contributed bytes are free`))
    const s = await stat()
    assert.equal(s.store.slices, 2)
    assert.equal(s.store.cachedBytes, 2 * SLICE)
  })
})
