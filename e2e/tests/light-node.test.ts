// Browser e2e: light nodes in real Chromium pages (inside the test's network namespace) with a real
// resource node. The tests run in order and share the browsers and the uploaded file.
import assert from 'node:assert/strict'
import { dirname, join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import {
  decodeErrorMessage,
  encodeFrame,
  encodeVarint,
  FrameReader,
  MAX_CONTROL_FRAME_BYTES,
  MSG_ERROR,
  SLICE_FETCH_PROTOCOL,
} from '@stratos-edge/protocol'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { NETNS_ADDRESS } from '../scripts/test-network.mjs'
import { launchChromium } from './support/browser.ts'
import { createNodePeer, dialRetry } from './support/node-peer.ts'
import { type ResourceNode, startResourceNode } from './support/resource-node.ts'
import { serveStatic } from './support/static-server.ts'

const host = NETNS_ADDRESS
const fixtureDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist')
const FILE_SIZE = 16 * 1024 * 1024

interface NodeStat {
  peerId: string
  multiaddrs: string[]
  connections: { peerId: string; kind: string; limited: boolean; remoteAddr: string }[]
  store: {
    pinnedBytes: number
    cachedBytes: number
    slices: number
    files: number
    recovered: { files: number; slices: number }
    budgetBytes: number
  }
  persisted: boolean | undefined
  served: { slices: number; bytes: number; rejectedStreams: number }
  fetched: { slices: number; badProviders: number }
  runtime: { inWorker: boolean; hasRealRtc: boolean; standInPeerConnections: number }
}

interface Upload {
  fileHash: string
  uri: string
  sha256: string
  replicas: string[]
}

let browser: Browser
let server: { url: string; close(): Promise<void> }
let resource: ResourceNode
const contexts: BrowserContext[] = []

async function openNode(
  name: string,
  extra: Record<string, unknown> = {},
  context?: BrowserContext,
  onPage?: Page,
) {
  const ctx = context ?? (await browser.newContext())
  if (!context) contexts.push(ctx)
  const page = onPage ?? ctx.pages()[0] ?? (await ctx.newPage())
  page.on('pageerror', (err) => process.stderr.write(`[${name} pageerror] ${err.message}\n`))
  page.on('worker', (w) => w.on('console', (m) => process.stderr.write(`[${name} worker] ${m.text()}\n`)))
  await page.goto(`${server.url}/index.html`)
  await page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready')
  const started = await page.evaluate(
    (options) =>
      (
        window as unknown as { harness: { start(o: unknown): Promise<{ peerId: string; readyMs: number }> } }
      ).harness.start(options),
    {
      resourceNodes: [resource.wsAddr],
      ...(resource.gatewayUrl ? { gatewayUrl: resource.gatewayUrl } : {}),
      iceServers: [],
      storeName: `e2e-${name}`,
      ...extra,
    },
  )
  return { page, ctx, peerId: started.peerId }
}

function stat(page: Page): Promise<NodeStat> {
  return page.evaluate(() =>
    (window as unknown as { harness: { node: { stat(): Promise<unknown> } } }).harness.node.stat(),
  ) as Promise<NodeStat>
}

type DownloadMode = 'byob' | 'default'

function download(
  page: Page,
  ref: string,
  mode: DownloadMode = 'default',
): Promise<{ size: number; sha256: string }> {
  return page.evaluate(
    ([r, m]) =>
      (
        window as unknown as {
          harness: { download(r: string, m: DownloadMode): Promise<{ size: number; sha256: string }> }
        }
      ).harness.download(r, m),
    [ref, mode] as const,
  )
}

function drop(page: Page, fileHash: string): Promise<void> {
  return page.evaluate(
    (f) =>
      (window as unknown as { harness: { node: { drop(f: string): Promise<void> } } }).harness.node.drop(f),
    fileHash,
  )
}

function events(page: Page): Promise<{ type: string; detail: { peerId?: string; reason?: string } }[]> {
  return page.evaluate(
    () => (window as unknown as { harness: { events: unknown[] } }).harness.events,
  ) as Promise<{ type: string; detail: { peerId?: string; reason?: string } }[]>
}

/** Page init script: counts binary data the page posts over MessagePorts into `window.portBytes`. */
function countPortBytes(): void {
  const w = window as unknown as { portBytes: number }
  w.portBytes = 0
  const post = MessagePort.prototype.postMessage
  MessagePort.prototype.postMessage = function (this: MessagePort, message: unknown, ...rest: unknown[]) {
    const data = (message as { data?: unknown } | null)?.data
    if (data instanceof ArrayBuffer) w.portBytes += data.byteLength
    return (post as (...args: unknown[]) => void).call(this, message, ...rest)
  } as typeof MessagePort.prototype.postMessage
}

describe('light node in Chromium', () => {
  let a: { page: Page; ctx: BrowserContext; peerId: string }
  let b: { page: Page; ctx: BrowserContext; peerId: string }
  let upload: Upload

  before(async () => {
    server = await serveStatic(fixtureDir, '127.0.0.1')
    resource = await startResourceNode(host)
    browser = await launchChromium()
    a = await openNode('a')
    b = await openNode('b')
  })

  after(async () => {
    for (const c of contexts) await c.close().catch(() => {})
    await browser?.close().catch(() => {})
    await resource?.stop().catch(() => {})
    await server?.close().catch(() => {})
  })

  test('libp2p runs in the worker, not in the page', async () => {
    const worker = a.page.workers()[0]
    assert.ok(worker, 'the page has a DedicatedWorker')
    const inWorker = await worker.evaluate(() => ({
      standIn: (globalThis as { RTCPeerConnection?: { stratosEdgeStandIn?: boolean } }).RTCPeerConnection
        ?.stratosEdgeStandIn,
      hasDocument: typeof (globalThis as { document?: unknown }).document !== 'undefined',
    }))
    assert.equal(inWorker.standIn, true)
    assert.equal(inWorker.hasDocument, false)
    // The page never loads the node's code: only the worker fetched the libp2p/node chunk.
    const pageScripts = await a.page.evaluate(() =>
      performance.getEntriesByType('resource').map((e) => e.name),
    )
    assert.ok(
      !pageScripts.some((n) => n.includes('light-node-service')),
      `page loaded: ${pageScripts.join(', ')}`,
    )
    const workerScripts = await worker.evaluate(() =>
      performance.getEntriesByType('resource').map((e) => e.name),
    )
    assert.ok(
      workerScripts.some((n) => n.includes('light-node-service')),
      `worker loaded: ${workerScripts.join(', ')}`,
    )
    const contributed = await a.page.evaluate(() =>
      (
        window as unknown as {
          harness: {
            node: { contribute(c: { bytes: number }): Promise<{ budgetBytes: number; persisted: boolean }> }
          }
        }
      ).harness.node.contribute({ bytes: 1024 ** 3 }),
    )
    assert.equal(contributed.budgetBytes, 1024 ** 3)
    assert.equal(typeof contributed.persisted, 'boolean')
    const s = await stat(a.page)
    assert.equal(s.store.budgetBytes, 1024 ** 3)
    assert.equal(s.persisted, contributed.persisted)
    assert.equal(s.runtime.inWorker, true)
    assert.equal(s.runtime.hasRealRtc, false, 'the worker has only the stand-in RTCPeerConnection')
    assert.ok(s.connections.some((c) => c.peerId === resource.peerId && c.kind === 'websockets'))
  })

  test('A uploads 16 MiB; the resource node holds the replica', async () => {
    upload = await a.page.evaluate(
      (size) =>
        (window as unknown as { harness: { uploadRandom(n: number): Promise<Upload> } }).harness.uploadRandom(
          size,
        ),
      FILE_SIZE,
    )
    assert.match(upload.fileHash, /^v05j1m5/)
    assert.deepEqual(upload.replicas, [resource.peerId])
    // The slices went over HTTP, not libp2p push: staged (202) while A hashed the file, then committed,
    // and the rest sent with their hashes (201).
    assert.ok(resource.gatewayUrl, 'the resource node has a gateway')
    const metrics = await (await fetch(`${resource.gatewayUrl.replace(/\/$/, '')}/metrics`)).text()
    const count = (status: number) =>
      Number(new RegExp(`gateway_requests_total\\{status="${status}"\\} (\\d+)`).exec(metrics)?.[1] ?? 0)
    const slices = FILE_SIZE / (4 * 1024 * 1024)
    assert.ok(
      count(201) + count(202) >= slices,
      `expected ${slices} HTTP uploads: ${count(201)}, ${count(202)}`,
    )
    assert.ok(count(202) >= 1, 'expected slices staged while the file was hashed')
    // Staged slices were committed (their hashes finished from the digest worker's digests), not sent again.
    assert.ok(count(201) < slices, `every slice was sent again with its hash (${count(201)}): no commit`)
    const s = await stat(a.page)
    assert.equal(s.store.pinnedBytes, FILE_SIZE)
    if (resource.gatewayUrl) {
      const res = await fetch(`${resource.gatewayUrl.replace(/\/$/, '')}/v1/files/${upload.fileHash}`)
      assert.equal(res.status, 200)
      const body = new Uint8Array(await res.arrayBuffer())
      assert.equal(body.byteLength, FILE_SIZE)
      const { createHash } = await import('node:crypto')
      assert.equal(createHash('sha256').update(body).digest('hex'), upload.sha256)
    }
  })

  test('B downloads it from A over a direct WebRTC connection with identical bytes', async () => {
    const got = await download(b.page, upload.uri)
    assert.equal(got.size, FILE_SIZE)
    assert.equal(got.sha256, upload.sha256)
    const s = await stat(b.page)
    const direct = s.connections.filter((c) => c.peerId === a.peerId && c.kind === 'webrtc')
    assert.ok(direct.length > 0, `B has a direct WebRTC connection to A: ${JSON.stringify(s.connections)}`)
    assert.ok(
      direct.every((c) => !c.limited && !c.remoteAddr.includes('/p2p-circuit/p2p')),
      'not relayed',
    )
    const fetched = (await events(b.page)).filter((e) => e.type === 'slice:fetched')
    assert.equal(fetched.length, 4)
    assert.ok(
      fetched.every((e) => e.detail.peerId === a.peerId),
      'every slice came from A',
    )
    assert.ok(s.runtime.standInPeerConnections > 0, 'the worker used the RTCPeerConnection stand-in')
    assert.equal((await stat(a.page)).served.slices, 4)
  })

  test('where a channel cannot be transferred its bytes cross a MessagePort, and downloads still work', async () => {
    // Counts the bytes the page posts to the worker over MessagePorts: a bridged channel's received data.
    const ctx = await browser.newContext()
    contexts.push(ctx)
    await ctx.addInitScript(countPortBytes)
    const e = await openNode('e-port', { channelTransfer: 'port' }, ctx)
    const got = await download(e.page, upload.uri)
    assert.equal(got.sha256, upload.sha256)
    // E dials its provider, so the slice streams run on channels E creates: without the bridge for
    // outbound channels they were transferred and no slice byte crossed a port.
    const portBytes = await e.page.evaluate(() => (window as unknown as { portBytes: number }).portBytes)
    process.stderr.write(`port bridge: ${portBytes} bytes crossed a MessagePort (file ${FILE_SIZE})\n`)
    assert.ok(portBytes >= FILE_SIZE, `slice bytes crossed a MessagePort: ${portBytes} of ${FILE_SIZE}`)
    const s = await stat(e.page)
    assert.ok(
      s.connections.some((c) => c.kind === 'webrtc' && !c.limited),
      'over a direct WebRTC connection',
    )
    assert.ok(
      (await events(e.page)).some(
        (ev) => ev.type === 'slice:fetched' && ev.detail.peerId !== resource.peerId,
      ),
    )
    await e.page.evaluate(() => (window as unknown as { harness: { stop(): Promise<void> } }).harness.stop())
  })

  test('a peer serving corrupted slices is detected; the download completes from another provider', async () => {
    const c = await openNode('c-corrupt', { faults: { corruptServedSlices: true } })
    // C fetches honestly (so the index lists it as a provider) but serves every slice corrupted.
    const fromC = await download(c.page, upload.uri)
    assert.equal(fromC.sha256, upload.sha256)
    await new Promise((r) => setTimeout(r, 1000))
    await drop(b.page, upload.fileHash)
    const before = (await events(b.page)).length
    const got = await download(b.page, upload.uri)
    assert.equal(got.sha256, upload.sha256)
    const later = (await events(b.page)).slice(before)
    const dropped = later.filter((e) => e.type === 'provider:dropped')
    assert.ok(
      dropped.some(
        (e) => e.detail.peerId === c.peerId && /SliceHashMismatchError/.test(e.detail.reason ?? ''),
      ),
      `C was dropped for a wrong hash: ${JSON.stringify(later)}`,
    )
    assert.ok(later.filter((e) => e.type === 'slice:fetched').every((e) => e.detail.peerId !== c.peerId))
    // C keeps serving (every stream gets its answer) and B stays healthy.
    assert.ok((await stat(c.page)).served.slices > 0)
  })

  test('oversized frames and malformed requests get typed errors; the node keeps serving others', async () => {
    const attacker = await createNodePeer()
    try {
      const before = await stat(a.page)
      const addr = before.multiaddrs.find((m) => m.includes('/p2p-circuit/webrtc'))
      assert.ok(addr, `A has a WebRTC address: ${before.multiaddrs.join(', ')}`)
      const conn = await dialRetry(attacker, addr)
      assert.ok(conn.remoteAddr.toString().includes('/webrtc') && conn.limits === undefined, 'direct WebRTC')
      const reply = async (payload: Uint8Array): Promise<Error | null> => {
        const stream = await conn.newStream(SLICE_FETCH_PROTOCOL, { signal: AbortSignal.timeout(10_000) })
        const reader = new FrameReader(stream, { maxFrameBytes: MAX_CONTROL_FRAME_BYTES })
        stream.send(payload)
        const body = await reader.next({ signal: AbortSignal.timeout(10_000) })
        reader.release()
        return body && body[0] === MSG_ERROR ? decodeErrorMessage(body, 'A') : null
      }
      // A frame that declares 64 MiB: refused from its length alone.
      const oversized = await reply(encodeVarint(64 * 1024 * 1024))
      assert.equal(oversized?.name, 'FrameTooLargeError')
      // A frame of garbage: a typed decode error.
      const malformed = await reply(encodeFrame(new Uint8Array([0x7f, 1, 2, 3, 4])))
      assert.equal(malformed?.name, 'DecodeError')
      const after = await stat(a.page)
      assert.ok(after.served.rejectedStreams >= before.served.rejectedStreams + 2)
      // Everyone else is still served.
      await drop(b.page, upload.fileHash)
      const got = await download(b.page, upload.uri)
      assert.equal(got.sha256, upload.sha256)
      assert.ok((await stat(a.page)).served.slices > after.served.slices, 'A kept serving B')
    } finally {
      await attacker.stop()
    }
  })

  test('after a reload of A its stored slices survive and are served again', async () => {
    await a.page.evaluate(() => (window as unknown as { harness: { stop(): Promise<void> } }).harness.stop())
    await a.page.reload()
    a = await openNode('a', {}, a.ctx)
    const s = await stat(a.page)
    assert.equal(s.store.pinnedBytes, FILE_SIZE)
    assert.equal(s.store.slices, 4)
    await drop(b.page, upload.fileHash)
    const got = await download(b.page, upload.uri)
    assert.equal(got.sha256, upload.sha256)
    assert.ok((await stat(a.page)).served.slices > 0, 'A served slices after its reload')
  })

  test('a write cut short by a closed tab is found and discarded when the store opens again', async () => {
    const d = await openNode('d-crash')
    // Start a 64 MiB upload and close the tab (and with it the worker) while slices are being written.
    await d.page.evaluate(() => {
      void (window as unknown as { harness: { uploadRandom(n: number): Promise<unknown> } }).harness
        .uploadRandom(64 * 1024 * 1024)
        .catch(() => {})
    })
    await d.page.waitForFunction(
      () =>
        (window as unknown as { harness: { lastProgress?: { phase: string; bytes: number } } }).harness
          .lastProgress?.phase === 'storing',
      undefined,
      { timeout: 60_000, polling: 10 },
    )
    await d.page.close({ runBeforeUnload: false })
    const again = await d.ctx.newPage()
    const reopened = await openNode('d-crash', {}, d.ctx, again)
    const s = await stat(reopened.page)
    assert.ok(s.store.recovered.files >= 1, `the half-written file was found: ${JSON.stringify(s.store)}`)
    assert.equal(s.store.files, 0)
    assert.equal(s.store.slices, 0)
    assert.equal(s.store.pinnedBytes, 0)
  })

  test('with the resource node stopped, B still gets the file from A (read into its own buffer)', async () => {
    await drop(b.page, upload.fileHash)
    await resource.stop()
    const got = await download(b.page, upload.uri, 'byob')
    assert.equal(got.size, FILE_SIZE)
    assert.equal(got.sha256, upload.sha256)
  })
})
