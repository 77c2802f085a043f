// Browser e2e: two tabs of one origin run one light node. The first tab elected (Web Locks) runs it in
// its worker; the second has no worker and uses that node through the same API, its download served by
// it. When the first tab closes, the second takes the node over on the same store (same peer id, same
// slices).
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

interface Stat {
  peerId: string
  store: { slices: number }
  fetched: { slices: number }
  runtime: { inWorker: boolean }
}
interface Harness {
  node: { peerId: string; stat(): Promise<Stat> }
  events: { type: string; detail: { peerId?: string } }[]
  start(o: unknown): Promise<{ peerId: string }>
  uploadRandom(n: number): Promise<{ fileHash: string; uri: string; sha256: string }>
  download(ref: string): Promise<{ size: number; sha256: string; ms: number }>
}
const h = (page: Page) => ({
  start: (storeName: string) =>
    page.evaluate((o) => (window as unknown as { harness: Harness }).harness.start(o), {
      resourceNodes: [resource.wsAddr],
      ...(resource.gatewayUrl ? { gatewayUrl: resource.gatewayUrl } : {}),
      iceServers: [],
      storeName,
      sliceSize: SLICE_SIZE,
    }),
  stat: () => page.evaluate(() => (window as unknown as { harness: Harness }).harness.node.stat()),
  peerId: () => page.evaluate(() => (window as unknown as { harness: Harness }).harness.node.peerId),
  events: () => page.evaluate(() => (window as unknown as { harness: Harness }).harness.events),
  download: (uri: string) =>
    page.evaluate((r) => (window as unknown as { harness: Harness }).harness.download(r), uri),
})

let browser: Browser
let server: { url: string; close(): Promise<void> }
let resource: ResourceNode
const contexts: BrowserContext[] = []

async function openTab(ctx: BrowserContext, name: string): Promise<Page> {
  const page = await ctx.newPage()
  page.on('pageerror', (err) => process.stderr.write(`[${name} pageerror] ${err.message}\n`))
  await page.goto(`${server.url}/index.html`)
  await page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready')
  return page
}

describe('one light node per origin', () => {
  let upload: { uri: string; sha256: string }

  before(async () => {
    server = await serveStatic(fixtureDir, '127.0.0.1')
    resource = await startResourceNode(NETNS_ADDRESS)
    browser = await launchChromium()
    const other = await browser.newContext()
    contexts.push(other)
    const uploader = await openTab(other, 'uploader')
    await h(uploader).start('e2e-origin-uploader')
    upload = await uploader.evaluate(
      (n) => (window as unknown as { harness: Harness }).harness.uploadRandom(n),
      FILE_SIZE,
    )
  })

  after(async () => {
    for (const c of contexts) await c.close().catch(() => {})
    await browser?.close().catch(() => {})
    await resource?.stop().catch(() => {})
    await server?.close().catch(() => {})
  })

  test('two tabs run one node; the second tab’s download is served by it; closing the first hands it over', async () => {
    const ctx = await browser.newContext()
    contexts.push(ctx)
    const first = await openTab(ctx, 'first')
    const second = await openTab(ctx, 'second')
    const { peerId } = await h(first).start('e2e-origin')
    const joined = await h(second).start('e2e-origin')
    assert.equal(joined.peerId, peerId, 'the second tab reaches the same node')
    assert.equal(first.workers().length, 1, 'the first tab runs the node in its worker')
    assert.equal(second.workers().length, 0, 'the second tab runs no node of its own')

    const got = await h(second).download(upload.uri)
    assert.equal(got.sha256, upload.sha256)
    // The same bytes read again by each tab (from the node's store now): the second tab's cross a channel.
    const viaFirst = await h(first).download(upload.uri)
    const viaSecond = await h(second).download(upload.uri)
    process.stderr.write(
      `stored 4 MiB read: first tab ${viaFirst.ms.toFixed(0)} ms, second tab ${viaSecond.ms.toFixed(0)} ms\n`,
    )
    const byFirst = await h(first).stat()
    assert.ok(byFirst.fetched.slices >= FILE_SIZE / SLICE_SIZE, `the first tab's node fetched the slices`)
    const fetched = (await h(second).events()).filter((e) => e.type === 'slice:fetched')
    assert.ok(fetched.length >= FILE_SIZE / SLICE_SIZE, 'the node’s events reach the second tab')
    assert.equal((await h(second).stat()).peerId, peerId)
    // An upload from the second tab goes through the first tab's node (its Blob crosses the channel).
    const put = await second.evaluate(
      (n) => (window as unknown as { harness: Harness }).harness.uploadRandom(n),
      SLICE_SIZE + 17,
    )
    assert.match(put.uri, /^sdm:\/\//)
    const back = await h(first).download(put.uri)
    assert.equal(back.sha256, put.sha256, 'the first tab reads what the second uploaded')

    const t0 = Date.now()
    await first.close({ runBeforeUnload: false })
    // A call made while the node moves waits for the new one (or fails if it was under way).
    let taken: Stat | undefined
    for (let i = 0; i < 60 && !taken?.runtime.inWorker; i++) {
      taken = await h(second)
        .stat()
        .catch(() => undefined)
      if (!taken?.runtime.inWorker) await new Promise((r) => setTimeout(r, 250))
    }
    process.stderr.write(`takeover: the second tab's node answered ${Date.now() - t0} ms after the close\n`)
    assert.equal(second.workers().length, 1, 'the second tab now runs the node')
    assert.equal(await h(second).peerId(), peerId, 'same identity (same store)')
    const s = await h(second).stat()
    assert.equal(s.runtime.inWorker, true)
    assert.equal(s.peerId, peerId)
    assert.ok(s.store.slices >= FILE_SIZE / SLICE_SIZE, `same store: ${JSON.stringify(s.store)}`)
    const again = await h(second).download(upload.uri)
    assert.equal(again.sha256, upload.sha256)
  })
})
