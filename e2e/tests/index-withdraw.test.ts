// Browser e2e: light nodes withdraw from the meta service's index the slices they no longer hold (a
// dropped file, cached slices evicted past the budget), while they stay connected. The index is asked
// from Node.js over the real index protocol, as any peer would ask it.
import assert from 'node:assert/strict'
import { dirname, join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import type { Libp2p } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import { decodeManifest, type FileHash, type SliceHash } from '@stratos-edge/core'
import { createIndexClient, type IndexClient } from '@stratos-edge/protocol'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { NETNS_ADDRESS } from '../scripts/test-network.mjs'
import { launchChromium } from './support/browser.ts'
import { createNodePeer } from './support/node-peer.ts'
import { type ResourceNode, startResourceNode } from './support/resource-node.ts'
import { serveStatic } from './support/static-server.ts'

const host = NETNS_ADDRESS
const fixtureDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist')
const FILE_SIZE = 1024 * 1024
const SLICE_SIZE = 256 * 1024
const SLICES = FILE_SIZE / SLICE_SIZE

interface Harness {
  start(o: unknown): Promise<{ peerId: string }>
  uploadRandom(n: number): Promise<{ fileHash: string; uri: string; sha256: string; replicas: string[] }>
  download(ref: string): Promise<{ size: number; sha256: string }>
  node: {
    drop(f: string, o?: { includeOwned?: boolean }): Promise<void>
    stat(): Promise<{
      connections: { peerId: string; kind: string }[]
      store: { slices: number; cachedBytes: number; pinnedBytes: number; evictedSlices: number }
    }>
  }
}

type Node = { page: Page; peerId: string }

let browser: Browser
let server: { url: string; close(): Promise<void> }
let resource: ResourceNode
let asker: Libp2p
let index: IndexClient
const contexts: BrowserContext[] = []

function harness(page: Page) {
  return {
    upload: (size: number) =>
      page.evaluate((n) => (window as unknown as { harness: Harness }).harness.uploadRandom(n), size),
    download: (ref: string) =>
      page.evaluate((r) => (window as unknown as { harness: Harness }).harness.download(r), ref),
    drop: (fileHash: string, includeOwned: boolean) =>
      page.evaluate(
        ([f, owned]) =>
          (window as unknown as { harness: Harness }).harness.node.drop(f as string, {
            includeOwned: owned as boolean,
          }),
        [fileHash, includeOwned] as const,
      ),
    stat: () => page.evaluate(() => (window as unknown as { harness: Harness }).harness.node.stat()),
  }
}

async function openNode(name: string, extra: Record<string, unknown> = {}): Promise<Node> {
  const ctx = await browser.newContext()
  contexts.push(ctx)
  const page = await ctx.newPage()
  page.on('pageerror', (err) => process.stderr.write(`[${name} pageerror] ${err.message}\n`))
  await page.goto(`${server.url}/index.html`)
  await page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready')
  const { peerId } = await page.evaluate(
    (options) => (window as unknown as { harness: Harness }).harness.start(options),
    {
      resourceNodes: [resource.wsAddr],
      iceServers: [],
      storeName: `e2e-withdraw-${name}`,
      sliceSize: SLICE_SIZE,
      ...extra,
    },
  )
  return { page, peerId }
}

/** The slice hashes of a file, from the manifest the meta service keeps. */
async function sliceHashes(fileHash: string): Promise<SliceHash[]> {
  const manifest = decodeManifest(await index.getManifest(fileHash as FileHash))
  return manifest.slices.map((s) => s.hash)
}

/** Per slice hash, the peer ids the meta service lists as its providers. */
async function providers(hashes: SliceHash[]): Promise<Map<SliceHash, string[]>> {
  const found = await index.lookup(hashes, { timeout: 10_000, limit: 64 })
  return new Map(hashes.map((h) => [h, (found.get(h) ?? []).map((p) => p.peerId)]))
}

/** The hashes the index lists `peerId` for. */
async function listedFor(peerId: string, hashes: SliceHash[]): Promise<SliceHash[]> {
  const found = await providers(hashes)
  return hashes.filter((h) => found.get(h)?.includes(peerId))
}

/** Polls until `check` returns true (every 100 ms, up to `ms`); returns whether it did. */
async function eventually(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms
  for (;;) {
    if (await check()) return true
    if (Date.now() > deadline) return false
    await new Promise((r) => setTimeout(r, 100))
  }
}

describe('light nodes withdraw slices from the index', () => {
  let a: Node
  let b: Node
  let first: { fileHash: string; uri: string; sha256: string }
  let second: { fileHash: string; uri: string; sha256: string }
  let firstHashes: SliceHash[]
  let secondHashes: SliceHash[]

  before(async () => {
    server = await serveStatic(fixtureDir, '127.0.0.1')
    resource = await startResourceNode(host)
    browser = await launchChromium()
    asker = await createNodePeer()
    await asker.dial(multiaddr(resource.wsAddr), { signal: AbortSignal.timeout(10_000) })
    index = createIndexClient(asker, multiaddr(resource.wsAddr))
    a = await openNode('a')
  })

  after(async () => {
    for (const c of contexts) await c.close().catch(() => {})
    await browser?.close().catch(() => {})
    await asker?.stop().catch(() => {})
    await resource?.stop().catch(() => {})
    await server?.close().catch(() => {})
  })

  test('after an upload the index lists the uploader for every slice', async () => {
    first = await harness(a.page).upload(FILE_SIZE)
    second = await harness(a.page).upload(FILE_SIZE)
    firstHashes = await sliceHashes(first.fileHash)
    secondHashes = await sliceHashes(second.fileHash)
    assert.equal(firstHashes.length, SLICES)
    const found = await providers([...firstHashes, ...secondHashes])
    for (const [hash, peers] of found) {
      assert.ok(peers.includes(a.peerId), `A is listed for ${hash}: ${peers.join(', ')}`)
    }
  })

  test('cached slices a light node evicts past its budget are withdrawn', async () => {
    // B keeps 1.5 files' worth of cached slices: the second download evicts half of the first.
    b = await openNode('b', { budgetBytes: FILE_SIZE + FILE_SIZE / 2 })
    const got = await harness(b.page).download(first.uri)
    assert.equal(got.sha256, first.sha256)
    assert.ok(
      await eventually(async () => (await listedFor(b.peerId, firstHashes)).length === SLICES, 5000),
      'B is listed for every slice of the first file after downloading it',
    )
    const got2 = await harness(b.page).download(second.uri)
    assert.equal(got2.sha256, second.sha256)
    const s = await harness(b.page).stat()
    assert.ok(s.store.evictedSlices > 0, `B evicted slices: ${JSON.stringify(s.store)}`)
    assert.equal(s.store.slices, 2 * SLICES - s.store.evictedSlices)
    const kept = SLICES - s.store.evictedSlices
    let listed: SliceHash[] = []
    const withdrawn = await eventually(async () => {
      listed = await listedFor(b.peerId, firstHashes)
      return listed.length === kept
    }, 5000)
    assert.ok(withdrawn, `B is listed for ${listed.length} slices of the first file, holds ${kept}`)
    assert.equal((await listedFor(b.peerId, secondHashes)).length, SLICES, 'the second file stays listed')
    assert.ok(
      (await harness(b.page).stat()).connections.some((c) => c.peerId === resource.peerId),
      'B is still connected to the meta service (its records were withdrawn, not forgotten)',
    )
  })

  test('a dropped file is withdrawn within seconds; the node stays listed for what it keeps', async () => {
    await harness(a.page).drop(first.fileHash, true)
    const s = await harness(a.page).stat()
    assert.equal(s.store.slices, SLICES, 'A holds only the second file')
    let listed: SliceHash[] = firstHashes
    const withdrawn = await eventually(async () => {
      listed = await listedFor(a.peerId, firstHashes)
      return listed.length === 0
    }, 5000)
    assert.ok(withdrawn, `A is still listed for ${listed.length} dropped slices`)
    assert.deepEqual(await listedFor(a.peerId, secondHashes), secondHashes, 'the kept file stays listed')
    assert.ok(
      (await harness(a.page).stat()).connections.some((c) => c.peerId === resource.peerId),
      'A is still connected to the meta service',
    )
  })
})
