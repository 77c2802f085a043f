// Browser e2e: fast fallback. Browser B holds a file but cannot be reached over WebRTC (its page's
// RTCPeerConnections gather no ICE candidate, as behind a NAT without STUN/TURN). Browser A downloads the
// file: B is tried first (browsers first), raced against the resource node after a short delay, and the
// download completes from the resource node with no wait longer than 5 s. A's dial of B goes on in the
// background within its budget (3 attempts of 1.5 s); once it failed, B is remembered as unreachable and
// A's next download does not try it again.
import assert from 'node:assert/strict'
import { dirname, join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { NETNS_ADDRESS } from '../scripts/test-network.mjs'
import { launchChromium } from './support/browser.ts'
import { type ResourceNode, startResourceNode } from './support/resource-node.ts'
import { serveStatic } from './support/static-server.ts'

const host = NETNS_ADDRESS
const fixtureDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist')
const FILE_SIZE = 2 * 1024 * 1024
const SLICE_SIZE = 256 * 1024
/** The longest the page may wait for the next bytes of a download. */
const LONGEST_WAIT_MS = 5000

interface Upload {
  fileHash: string
  uri: string
  sha256: string
  replicas: string[]
}

interface Progress {
  ref: string
  bytes: number
  totalBytes: number
  bytesPerSecond: number
  source: 'local' | 'light' | 'resource'
  peerId?: string
}

interface Harness {
  start(o: unknown): Promise<{ peerId: string }>
  uploadRandom(n: number): Promise<Upload>
  download(ref: string): Promise<{ size: number; sha256: string; ms: number; startedAt: number }>
  events: { type: string; detail: unknown; at: number }[]
}

/**
 * Makes every RTCPeerConnection of the page gather no ICE candidate (relay only, with no TURN server):
 * no other browser can reach it over WebRTC, as behind a NAT without STUN/TURN. Its WebSockets
 * connection to the resource node (relay, index, uploads) is untouched.
 */
function unreachableOverWebRtc(): void {
  const Real = window.RTCPeerConnection
  class Unreachable extends Real {
    constructor(config?: RTCConfiguration) {
      super({ ...config, iceServers: [], iceTransportPolicy: 'relay' })
    }
  }
  window.RTCPeerConnection = Unreachable
}

describe('a browser provider that cannot be reached over WebRTC', () => {
  let browser: Browser
  let server: { url: string; close(): Promise<void> }
  let resource: ResourceNode
  const contexts: BrowserContext[] = []

  async function openNode(name: string, unreachable = false): Promise<{ page: Page; peerId: string }> {
    const ctx = await browser.newContext()
    contexts.push(ctx)
    if (unreachable) await ctx.addInitScript(unreachableOverWebRtc)
    const page = await ctx.newPage()
    page.on('pageerror', (err) => process.stderr.write(`[${name} pageerror] ${err.message}\n`))
    await page.goto(`${server.url}/index.html`)
    await page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready')
    const { peerId } = await page.evaluate(
      (options) => (window as unknown as { harness: Harness }).harness.start(options),
      {
        resourceNodes: [resource.wsAddr],
        ...(resource.gatewayUrl ? { gatewayUrl: resource.gatewayUrl } : {}),
        iceServers: [],
        storeName: `e2e-fallback-${name}`,
        sliceSize: SLICE_SIZE,
      },
    )
    return { page, peerId }
  }

  /** Downloads `ref` on `page`; returns the result and the waits between its start, each slice and its end. */
  async function timedDownload(page: Page, ref: string) {
    const result = await page.evaluate(
      (r) => (window as unknown as { harness: Harness }).harness.download(r),
      ref,
    )
    const events = await page.evaluate(() => (window as unknown as { harness: Harness }).harness.events)
    const progress = events
      .filter((e) => e.type === 'download:progress' && (e.detail as Progress).ref === ref)
      .map((e) => ({ ...(e.detail as Progress), at: e.at }))
    const times = [result.startedAt, ...progress.map((p) => p.at), result.startedAt + result.ms]
    const waits = times.slice(1).map((t, i) => t - (times[i] as number))
    return { result, progress, longestWait: Math.max(...waits) }
  }

  let a: { page: Page; peerId: string }
  let b: { page: Page; peerId: string }
  let files: Upload[]

  before(async () => {
    server = await serveStatic(fixtureDir, '127.0.0.1')
    resource = await startResourceNode(host)
    browser = await launchChromium()
    b = await openNode('b', true)
    a = await openNode('a')
    // B uploads two files: it holds them (announced as a browser provider), and so does the resource node.
    files = []
    for (let i = 0; i < 2; i++)
      files.push(
        await b.page.evaluate(
          (n) => (window as unknown as { harness: Harness }).harness.uploadRandom(n),
          FILE_SIZE,
        ),
      )
    for (const f of files) assert.deepEqual(f.replicas, [resource.peerId])
  })

  after(async () => {
    for (const c of contexts) await c.close().catch(() => {})
    await browser?.close().catch(() => {})
    await resource?.stop().catch(() => {})
    await server?.close().catch(() => {})
  })

  test('the download completes from the resource node with no wait longer than 5 s', async () => {
    const first = files[0] as Upload
    const { result, progress, longestWait } = await timedDownload(a.page, first.uri)
    process.stderr.write(
      `[fallback] first download: ${Math.round(result.ms)} ms, longest wait ${Math.round(longestWait)} ms, ` +
        `sources ${progress.map((p) => p.source).join(',')}\n`,
    )
    assert.equal(result.size, FILE_SIZE)
    assert.equal(result.sha256, first.sha256)
    assert.ok(longestWait < LONGEST_WAIT_MS, `waited ${Math.round(longestWait)} ms for the next bytes`)
    // Progress reached the page for every slice, from the resource node, up to the whole file.
    assert.equal(progress.length, FILE_SIZE / SLICE_SIZE)
    assert.ok(progress.every((p) => p.source === 'resource' && p.peerId === resource.peerId))
    assert.equal(progress.at(-1)?.bytes, FILE_SIZE)
    assert.equal(progress.at(-1)?.totalBytes, FILE_SIZE)
    assert.ok((progress.at(-1)?.bytesPerSecond ?? 0) > 0)
  })

  test('B is remembered as unreachable: the next download does not wait for it', async () => {
    const second = files[1] as Upload
    // A's dial of B, held after the first download lost interest in it, ends within about 5.1 s.
    await new Promise((r) => setTimeout(r, 7000))
    const { result, progress, longestWait } = await timedDownload(a.page, second.uri)
    process.stderr.write(
      `[fallback] second download: ${Math.round(result.ms)} ms, longest wait ${Math.round(longestWait)} ms\n`,
    )
    assert.equal(result.sha256, second.sha256)
    assert.ok(progress.every((p) => p.source === 'resource'))
    // No hedge delay (2.5 s) paid again: B is not dialled at all.
    assert.ok(longestWait < 2500, `waited ${Math.round(longestWait)} ms for the next bytes`)
  })
})
