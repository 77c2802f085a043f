import { request, type ServerResponse } from 'node:http'
import { formatSdmUri, type Manifest, type SliceHash } from '@stratos-edge/core'
import type { SliceRecord } from '@stratos-edge/protocol'
import { afterEach, describe, expect, it } from 'vitest'
import { type Gateway, parseRange, startGateway } from '../src/index.js'
import { forgeManifestOf, makeFile, quietLogger, stranger, type TestFile, until } from './helpers.js'
import { idleNodeMetrics } from './support/idle-node-metrics.js'

describe('gateway', () => {
  let gw: Gateway | undefined
  /** The write timeout of the next gateway started (its default when undefined). */
  let writeTimeoutMs: number | undefined
  afterEach(async () => {
    await gw?.close()
    gw = undefined
  })

  const start = async (
    file: TestFile,
    getSlice: (hash: SliceHash) => Promise<SliceRecord | undefined>,
    getManifest: (
      fileHash: string,
      owner?: string,
      signal?: AbortSignal,
    ) => Promise<Manifest | undefined> = async () => file.manifest,
  ): Promise<{ gw: Gateway; responses: ServerResponse[] }> => {
    const metrics = idleNodeMetrics()
    gw = await startGateway({
      host: '127.0.0.1',
      port: 0,
      metrics,
      logger: quietLogger,
      health: () => ({}),
      getManifest: async (fileHash, owner, signal) => getManifest(fileHash, owner, signal),
      // Whole slices from `getSlice`, cut to the range asked.
      async *readSlice(hash, from, to) {
        const slice = await getSlice(hash)
        if (!slice) throw new Error(`slice ${hash} unavailable`)
        yield slice.data.subarray(from, to)
      },
      ...(writeTimeoutMs !== undefined ? { writeTimeoutMs } : {}),
    })
    const responses: ServerResponse[] = []
    gw.server.on('request', (_req, res: ServerResponse) => responses.push(res))
    return { gw, responses }
  }

  it('a client that disconnects between slices ends the request: no drain wait left, no slice loaded after', async () => {
    const sliceSize = 16 * 1024 // one slice fits the socket buffers: its write does not wait
    const file = await makeFile(4 * sliceSize, sliceSize)
    let releaseSlow = (): void => {}
    const slow = new Promise<void>((r) => {
      releaseSlow = r
    })
    const loaded: number[] = []
    const { gw, responses } = await start(file, async (hash) => {
      const s = file.slices.find((x) => x.hash === hash)
      loaded.push(s?.number ?? 0)
      if (s?.number === 2) await slow // e.g. fetched from a remote provider
      return s
    })
    const req = request(`${gw.url}/v1/files/${file.manifest.fileHash}`)
    req.on('response', (res) => res.once('data', () => req.destroy()))
    req.on('error', () => {})
    req.end()
    await until(() => responses[0]?.destroyed === true, 5_000)
    const res = responses[0] as ServerResponse
    releaseSlow()
    await new Promise((r) => setTimeout(r, 200))
    // Without the check, the handler waits for a 'drain' that never comes, holding slices 2 and 3.
    expect(res.listenerCount('drain')).toBe(0)
    expect(loaded).toEqual([1, 2])
  })

  it('drops a reader that stops reading once the write timeout passes', async () => {
    const sliceSize = 1024 * 1024
    const file = await makeFile(16 * sliceSize, sliceSize) // far more than the socket buffers hold
    writeTimeoutMs = 300
    try {
      const { gw, responses } = await start(file, async (hash) => file.slices.find((x) => x.hash === hash))
      const req = request(`${gw.url}/v1/files/${file.manifest.fileHash}`)
      let received = 0
      req.on('response', (res) => {
        res.once('data', (d: Buffer) => {
          received += d.length
          res.pause() // and never reads again
        })
        res.on('error', () => {})
      })
      req.on('error', () => {})
      req.end()
      // Without a write timeout the gateway waits for a 'drain' that never comes, holding the socket.
      await until(() => responses[0]?.destroyed === true, 10_000)
      expect(received).toBeLessThan(file.bytes.length)
      req.destroy()
    } finally {
      writeTimeoutMs = undefined
    }
  })

  it('sets no whole-request timeout: the upload routes enforce their own limits', async () => {
    const file = await makeFile(16 * 1024, 16 * 1024)
    const { gw } = await start(file, async (hash) => file.slices.find((x) => x.hash === hash))
    // Node's default (300 s) would cut a slow upload with a bare 408 without CORS.
    expect(gw.server.requestTimeout).toBe(0)
  })

  it('keeps a slow reader that takes bytes, though one write waits for it longer than the write timeout', async () => {
    const size = 8 * 1024 * 1024 // one slice, one write: its 'drain' comes only once the reader took most
    const file = await makeFile(size, size)
    writeTimeoutMs = 1500
    try {
      const { gw, responses } = await start(file, async (hash) => file.slices.find((x) => x.hash === hash))
      const rate = 2 * 1024 * 1024 // bytes per second: the 8 MiB write waits about 2.5 s for 'drain'
      const received = await new Promise<number>((resolve, reject) => {
        const req = request(`${gw.url}/v1/files/${file.manifest.fileHash}`)
        req.on('response', (res) => {
          const t0 = Date.now()
          let got = 0
          res.on('data', (d: Buffer) => {
            got += d.length
            const wait = t0 + (got / rate) * 1000 - Date.now()
            if (wait > 0) {
              res.pause()
              setTimeout(() => res.resume(), wait)
            }
          })
          res.on('end', () => resolve(got))
          res.on('error', reject)
          res.on('close', () => resolve(got))
        })
        req.on('error', reject)
        req.end()
      })
      // Without counting flushed bytes, the wait for 'drain' alone drops it after 1.5 s.
      expect(received).toBe(size)
      expect(responses[0]?.writableFinished).toBe(true)
    } finally {
      writeTimeoutMs = undefined
    }
  })

  it('errors carry CORS headers; weak or listed If-None-Match is 304; If-Range with another ETag is 200', async () => {
    const file = await makeFile(3 * 16 * 1024, 16 * 1024)
    const { gw } = await start(
      file,
      async (hash) => file.slices.find((x) => x.hash === hash),
      async (fileHash) => (fileHash === file.manifest.fileHash ? file.manifest : undefined),
    )
    const url = `${gw.url}/v1/files/${file.manifest.fileHash}`
    const unknown = (await makeFile(10, 16 * 1024)).manifest.fileHash
    for (const [path, method, status] of [
      ['/v1/files/not-a-hash', 'GET', 400],
      [`/v1/files/${unknown}`, 'GET', 404],
      ['/nothing', 'GET', 404],
      ['/v1/files/x', 'DELETE', 405],
    ] as const) {
      const res = await fetch(`${gw.url}${path}`, { method })
      expect(res.status).toBe(status)
      expect(res.headers.get('access-control-allow-origin')).toBe('*')
      await res.arrayBuffer()
    }
    const etag = `"${file.manifest.fileHash}"`
    for (const tag of [etag, `W/${etag}`, `"other", ${etag}`, `"a",W/${etag}`, '*']) {
      const res = await fetch(url, { headers: { 'if-none-match': tag } })
      expect(res.status, tag).toBe(304)
    }
    const other = await fetch(url, { headers: { 'if-none-match': '"other"' } })
    expect(other.status).toBe(200)
    await other.arrayBuffer()

    const stale = await fetch(url, { headers: { range: 'bytes=10-19', 'if-range': '"another"' } })
    expect(stale.status).toBe(200)
    expect((await stale.arrayBuffer()).byteLength).toBe(file.bytes.length)
    const fresh = await fetch(url, { headers: { range: 'bytes=10-19', 'if-range': etag } })
    expect(fresh.status).toBe(206)
    expect((await fresh.arrayBuffer()).byteLength).toBe(10)
  })

  it('a suffix range of an empty file is 416 with bytes */0; the file itself is 200 and empty', async () => {
    const file = await makeFile(0, 16 * 1024)
    const { gw } = await start(file, async (hash) => file.slices.find((x) => x.hash === hash))
    const url = `${gw.url}/v1/files/${file.manifest.fileHash}`
    const ranged = await fetch(url, { headers: { range: 'bytes=-5' } })
    expect(ranged.status).toBe(416)
    expect(ranged.headers.get('content-range')).toBe('bytes */0')
    expect((await ranged.arrayBuffer()).byteLength).toBe(0)
    const whole = await fetch(url)
    expect(whole.status).toBe(200)
    expect((await whole.arrayBuffer()).byteLength).toBe(0)
    expect(parseRange('bytes=-5', 0)).toBe('unsatisfiable')
    expect(parseRange('bytes=0-', 0)).toBe('unsatisfiable')
  })

  it('serves a file whole and in ranges, reading only the slices a range covers, never to be sniffed or run', async () => {
    const file = await makeFile(4 * 16_384, 16_384, 'text/html')
    const loads: number[] = []
    const { gw } = await start(file, async (hash) => {
      const s = file.slices.find((x) => x.hash === hash)
      loads.push(s?.number ?? 0)
      return s
    })
    const url = `${gw.url}/v1/files/${file.manifest.fileHash}`
    const whole = await fetch(url)
    expect(whole.headers.get('x-content-type-options')).toBe('nosniff')
    expect(whole.headers.get('content-security-policy')).toBe('sandbox')
    expect(Buffer.from(await whole.arrayBuffer()).equals(Buffer.from(file.bytes))).toBe(true)
    loads.length = 0
    const part = await fetch(url, { headers: { range: 'bytes=16380-16390' } })
    expect(part.status).toBe(206)
    expect(Buffer.from(await part.arrayBuffer()).equals(Buffer.from(file.bytes.subarray(16380, 16391)))).toBe(
      true,
    )
    expect(loads).toEqual([1, 2])
  })

  it('serves an encrypted file only by its owner URI, not by bare hash', async () => {
    const file = await makeFile(16_384, 16_384)
    const encrypted = forgeManifestOf(file, { encrypted: true })
    const { gw } = await start(
      encrypted,
      async (hash) => encrypted.slices.find((x) => x.hash === hash),
      async () => encrypted.manifest,
    )
    const bare = await fetch(`${gw.url}/v1/files/${file.manifest.fileHash}`)
    expect(bare.status).toBe(404)
    await bare.arrayBuffer()
    const uri = formatSdmUri(stranger.address, file.manifest.fileHash)
    const byOwner = await fetch(`${gw.url}/v1/files/${uri}`)
    expect(byOwner.status).toBe(200)
    await byOwner.arrayBuffer()
  })
})
