import { request } from 'node:http'
import type { Libp2p } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import {
  fetchSlice,
  pushSlice,
  SLICE_UPLOAD_PATH,
  type SliceRecord,
  sliceUploadHeaders,
  uploadSlice,
} from '@stratos-edge/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClient, makeFile, type TestFile } from './helpers.js'
import { createNodePool } from './support/node-pool.js'

interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
  ms: number
}

/** One HTTP request from `localAddress` (another client on loopback), with its answer and time. */
function send(
  url: string,
  options: { method: string; localAddress: string; headers?: Record<string, string>; body?: Uint8Array },
): Promise<Answer> {
  const started = performance.now()
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: options.method,
      localAddress: options.localAddress,
      headers: options.headers,
    })
    req.on('response', (res) => {
      const chunks: Buffer[] = []
      res.on('data', (d: Buffer) => chunks.push(d))
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          ms: performance.now() - started,
        }),
      )
    })
    req.on('error', reject)
    req.end(options.body)
  })
}

function uploadFrom(gatewayUrl: string, slice: SliceRecord, localAddress: string): Promise<Answer> {
  return send(`${gatewayUrl}${SLICE_UPLOAD_PATH}`, {
    method: 'POST',
    localAddress,
    headers: { ...sliceUploadHeaders(slice), 'content-length': String(slice.data.length) },
    body: slice.data,
  })
}

const SLICE = 256 * 1024

describe('per-client rate limits', () => {
  let file: TestFile
  let other: TestFile
  const pool = createNodePool('rate')
  const clients: Libp2p[] = []

  const startNode = pool.start

  beforeAll(async () => {
    file = await makeFile(8 * SLICE, SLICE)
    other = await makeFile(4 * SLICE, SLICE)
  })

  afterAll(async () => {
    for (const c of clients) await c.stop()
    await pool.close()
  })

  it('HTTP writes: a client over its bytes gets 429 with Retry-After and CORS; a second client is not slowed', async () => {
    // 2 slices of burst, then one slice per 8 s: A's third upload is told to wait 8 s.
    const node = await startNode({
      rateLimits: { write: { bytes: { perSecond: SLICE / 8, burst: 2 * SLICE } } },
    })
    const url = node.gatewayUrl
    const a = '127.0.0.1'
    const b = '127.0.0.2'
    expect((await uploadFrom(url, file.slices[0] as SliceRecord, a)).status).toBe(201)
    expect((await uploadFrom(url, file.slices[1] as SliceRecord, a)).status).toBe(201)
    const limited = await uploadFrom(url, file.slices[2] as SliceRecord, a)
    expect(limited.status).toBe(429)
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1)
    expect(limited.headers['access-control-allow-origin']).toBe('*')
    expect(limited.headers['access-control-expose-headers']).toContain('retry-after')
    expect(JSON.parse(limited.body).error.name).toBe('RateLimitedError')
    expect(await node.store.has(file.slices[2]!.hash)).toBe(false)

    // While A is limited, B uploads at once, every time (well within A's wait, even on a busy machine).
    for (const s of other.slices.slice(0, 2)) {
      const answer = await uploadFrom(url, s, b)
      expect(answer.status).toBe(201)
      expect(answer.ms).toBeLessThan(4000)
    }
    const metrics = await (await fetch(`${url}/metrics`)).text()
    expect(metrics).toMatch(/stratos_edge_rate_limited_total\{path="http-write"\} [1-9]/)
  })

  it('the upload client waits out Retry-After and retries instead of failing', async () => {
    const node = await startNode({
      rateLimits: { write: { requests: { perSecond: 0.25, burst: 1 } } },
    })
    const s1 = file.slices[3] as SliceRecord
    const s2 = file.slices[4] as SliceRecord
    await uploadSlice(node.gatewayUrl, s1)
    const started = performance.now()
    const receipt = await uploadSlice(node.gatewayUrl, s2)
    expect(receipt.stored).toBe('new')
    // The node said 429 with Retry-After (at least 1 s), and the client waited it out.
    expect(performance.now() - started).toBeGreaterThanOrEqual(900)
    expect(await node.store.has(s2.hash)).toBe(true)
    const metrics = await (await fetch(`${node.gatewayUrl}/metrics`)).text()
    expect(metrics).toMatch(/stratos_edge_rate_limited_total\{path="http-write"\} 1\n/)
  })

  it('HTTP reads: requests and bytes per client, 429 with Retry-After; another client still reads', async () => {
    const node = await startNode({
      meta: true,
      rateLimits: {
        read: {
          requests: { perSecond: 0.1, burst: 3 },
          bytes: { perSecond: SLICE, burst: 2 * file.bytes.length },
        },
      },
    })
    for (const s of file.slices) await node.store.put(s)
    await node.store.putManifest(file.manifestBytes)
    const fileUrl = `${node.gatewayUrl}/v1/files/${file.manifest.fileHash}`
    const get = (localAddress: string) => send(fileUrl, { method: 'GET', localAddress })
    // Bytes: two whole files fit the burst, the third must wait for the refill.
    expect((await get('127.0.0.1')).status).toBe(200)
    expect((await get('127.0.0.1')).status).toBe(200)
    const third = await get('127.0.0.1')
    expect(third.status).toBe(429)
    // 2 MiB at 256 KiB/s: 8 s, less what came back while the first two were read (slow on a busy machine).
    expect(Number(third.headers['retry-after'])).toBeGreaterThanOrEqual(4)
    expect(third.headers['access-control-allow-origin']).toBe('*')
    // Requests: the third request was the last of the burst; the fourth is refused before any lookup.
    const fourth = await send(`${node.gatewayUrl}/v1/files/not-a-hash`, {
      method: 'GET',
      localAddress: '127.0.0.1',
    })
    expect(fourth.status).toBe(429)
    const b = await get('127.0.0.3')
    expect(b.status).toBe(200)
    expect(b.body.length).toBeGreaterThan(0)
  })

  it('libp2p: pushes and fetches over a peer’s limit fail with RateLimitedError and its wait; another peer goes on', async () => {
    const node = await startNode({
      rateLimits: {
        write: { requests: { perSecond: 0.1, burst: 1 } },
        read: { requests: { perSecond: 0.1, burst: 1 } },
      },
    })
    const addr = multiaddr(node.readyInfo().multiaddrs.find((a) => !a.includes('/ws')) as string)
    const one = await createClient()
    const two = await createClient()
    clients.push(one, two)
    await one.start()
    await two.start()
    const s5 = file.slices[5] as SliceRecord
    const s6 = file.slices[6] as SliceRecord
    await pushSlice(one, addr, s5)
    const refused = await pushSlice(one, addr, s6).then(
      () => undefined,
      (err: unknown) => err as Error & { retryAfterMs?: number },
    )
    expect(refused?.name).toBe('RateLimitedError')
    expect(refused?.retryAfterMs).toBeGreaterThan(1000)
    expect(await node.store.has(s6.hash)).toBe(false)
    await pushSlice(two, addr, s6) // another peer is not limited by the first
    expect(await node.store.has(s6.hash)).toBe(true)

    expect((await fetchSlice(one, addr, s5.hash)).hash).toBe(s5.hash)
    const fetchRefused = await fetchSlice(one, addr, s6.hash).then(
      () => undefined,
      (err: unknown) => err as Error & { retryAfterMs?: number },
    )
    expect(fetchRefused?.name).toBe('RateLimitedError')
    expect(fetchRefused?.retryAfterMs).toBeGreaterThan(1000)
    expect((await fetchSlice(two, addr, s6.hash)).hash).toBe(s6.hash)
  })

  it('defaults let one fast client upload and read a 2 MiB file many times', async () => {
    const node = await startNode({ meta: true })
    for (let round = 0; round < 5; round++) {
      for (const s of file.slices) await uploadSlice(node.gatewayUrl, s)
    }
    await node.store.putManifest(file.manifestBytes)
    for (let i = 0; i < 50; i++) {
      const res = await fetch(`${node.gatewayUrl}/v1/files/${file.manifest.fileHash}`)
      expect(res.status).toBe(200)
      await res.arrayBuffer()
    }
  })
})
