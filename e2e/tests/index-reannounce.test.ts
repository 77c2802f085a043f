// Browser e2e: the resource node running the meta service restarts (same identity, same addresses) and
// forgets every light node; a light node in Chromium reconnects and announces its slices again, so the
// index recovers. The index is asked from Node.js over the real index protocol.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import type { Libp2p } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import { decodeManifest, type FileHash, type SliceHash } from '@stratos-edge/core'
import { createIndexClient, type IndexClient } from '@stratos-edge/protocol'
import type { SpawnedResourceNode } from '@stratos-edge/resource-node'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { NETNS_ADDRESS } from '../scripts/test-network.mjs'
import { launchChromium } from './support/browser.ts'
import { createNodePeer } from './support/node-peer.ts'
import { spawnMetaNode } from './support/resource-node.ts'
import { serveStatic } from './support/static-server.ts'

const host = NETNS_ADDRESS
const fixtureDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist')
const FILE_SIZE = 1024 * 1024
const SLICE_SIZE = 256 * 1024

interface Harness {
  start(o: unknown): Promise<{ peerId: string }>
  uploadRandom(n: number): Promise<{ fileHash: string }>
  node: { stat(): Promise<{ connections: { peerId: string; kind: string }[]; multiaddrs: string[] }> }
}

function portOf(addr: string, proto: 'tcp'): number {
  return Number(
    multiaddr(addr)
      .getComponents()
      .find((c) => c.name === proto)?.value,
  )
}

/** Polls until `check` returns true (every 200 ms, up to `ms`); returns whether it did. */
async function eventually(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms
  for (;;) {
    if (await check().catch(() => false)) return true
    if (Date.now() > deadline) return false
    await new Promise((r) => setTimeout(r, 200))
  }
}

describe('the index recovers after the meta service restarts', () => {
  let browser: Browser
  let server: { url: string; close(): Promise<void> }
  let resource: SpawnedResourceNode
  let asker: Libp2p
  let index: IndexClient
  let dataDir: string
  let wsAddr: string
  let ports: { tcp: number; ws: number; http: number }
  let page: Page
  let peerId: string
  let hashes: SliceHash[]
  const contexts: BrowserContext[] = []

  const listedFor = async (peer: string): Promise<SliceHash[]> => {
    const found = await index.lookup(hashes, { timeout: 5000, limit: 64 })
    return hashes.filter((h) => found.get(h)?.some((p) => p.peerId === peer))
  }

  before(async () => {
    server = await serveStatic(fixtureDir, '127.0.0.1')
    dataDir = mkdtempSync(join(tmpdir(), 'stratos-e2e-restart-'))
    resource = await spawnMetaNode(host, dataDir)
    const ws = resource.ready.multiaddrs.find((a) => a.includes(`/ip4/${host}/`) && a.includes('/ws'))
    const tcp = resource.ready.multiaddrs.find((a) => a.includes(`/ip4/${host}/`) && !a.includes('/ws'))
    assert.ok(ws && tcp && resource.ready.gatewayUrl, `addresses: ${resource.ready.multiaddrs.join(', ')}`)
    wsAddr = ws.includes('/p2p/') ? ws : `${ws}/p2p/${resource.ready.peerId}`
    ports = {
      tcp: portOf(tcp, 'tcp'),
      ws: portOf(ws, 'tcp'),
      http: Number(new URL(resource.ready.gatewayUrl).port),
    }
    browser = await launchChromium()
    asker = await createNodePeer()
    index = createIndexClient(asker, multiaddr(wsAddr))
    const ctx = await browser.newContext()
    contexts.push(ctx)
    page = await ctx.newPage()
    page.on('pageerror', (err) => process.stderr.write(`[a pageerror] ${err.message}\n`))
    await page.goto(`${server.url}/index.html`)
    await page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready')
    ;({ peerId } = await page.evaluate(
      (options) => (window as unknown as { harness: Harness }).harness.start(options),
      { resourceNodes: [wsAddr], iceServers: [], storeName: 'e2e-reannounce-a', sliceSize: SLICE_SIZE },
    ))
  })

  after(async () => {
    for (const c of contexts) await c.close().catch(() => {})
    await browser?.close().catch(() => {})
    await asker?.stop().catch(() => {})
    await resource?.stop().catch(() => {})
    if (dataDir) rmSync(dataDir, { recursive: true, force: true })
    await server?.close().catch(() => {})
  })

  test('a light node that held slices is listed again after the restart', async () => {
    const { fileHash } = await page.evaluate(
      (n) => (window as unknown as { harness: Harness }).harness.uploadRandom(n),
      FILE_SIZE,
    )
    hashes = decodeManifest(await index.getManifest(fileHash as FileHash)).slices.map((s) => s.hash)
    assert.equal(hashes.length, FILE_SIZE / SLICE_SIZE)
    assert.ok(
      await eventually(async () => (await listedFor(peerId)).length === hashes.length, 5000),
      'A is listed before the restart',
    )

    await resource.stop()
    resource = await spawnMetaNode(host, dataDir, ports)
    assert.equal(resource.ready.peerId, wsAddr.split('/p2p/')[1], 'same identity after the restart')

    let listed: SliceHash[] = []
    const recovered = await eventually(async () => {
      listed = await listedFor(peerId)
      return listed.length === hashes.length
    }, 45_000)
    assert.ok(recovered, `A is listed for ${listed.length} of ${hashes.length} slices after the restart`)
    const stat = await page.evaluate(() => (window as unknown as { harness: Harness }).harness.node.stat())
    assert.ok(
      stat.connections.some((c) => c.peerId === resource.ready.peerId),
      'A is connected to the restarted resource node',
    )
  })
})
