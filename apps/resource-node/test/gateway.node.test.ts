import { request, type ServerResponse } from 'node:http'
import type { Manifest, SliceHash } from '@stratos-edge/core'
import type { SliceRecord } from '@stratos-edge/protocol'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  createNodeMetrics,
  createSliceHashPool,
  type Gateway,
  parseRange,
  type SliceHashPool,
  startGateway,
} from '../src/index.js'
import { forgeManifestOf, makeFile, owner, quietLogger, stranger, type TestFile, until } from './helpers.js'

describe('gateway', () => {
  let gw: Gateway | undefined
  /** Where the gateway hashes whole files (bare-hash checks): this thread when undefined. */
  let pool: SliceHashPool | undefined
  /** Whole-file digests the gateway started on the pool. */
  let poolStreams = 0
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
    manifestOwners?: (fileHash: string) => string[],
    slicesAvailable?: (hashes: readonly SliceHash[]) => Promise<boolean>,
  ): Promise<{ gw: Gateway; responses: ServerResponse[] }> => {
    const metrics = createNodeMetrics({
      storeUsedBytes: () => 0,
      storeMaxBytes: () => 0,
      storeSlices: () => 0,
      connections: () => 0,
    })
    gw = await startGateway({
      host: '127.0.0.1',
      port: 0,
      metrics,
      logger: quietLogger,
      health: () => ({}),
      getManifest: async (fileHash, owner, signal) => getManifest(fileHash, owner, signal),
      ...(manifestOwners ? { manifestOwners } : {}),
      ...(slicesAvailable ? { slicesAvailable } : {}),
      getSlice,
      ...(writeTimeoutMs !== undefined ? { writeTimeoutMs } : {}),
      ...(pool
        ? {
            fileDigest: () => {
              poolStreams++
              return (pool as SliceHashPool).fileDigest()
            },
          }
        : {}),
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

  /**
   * A gateway whose first manifest of `file` (the one a bare file hash finds) is a stranger's forgery;
   * the owner's is found by its sdm:// URI, and by bare hash through `owners` when given.
   */
  const startForged = (file: TestFile, owners?: string[], onListed?: () => void) => {
    const forged = forgeManifestOf(file)
    const all = [...file.slices, ...forged.slices]
    return start(
      file,
      async (hash) => all.find((s) => s.hash === hash),
      async (_hash, asked) =>
        asked === undefined || asked === stranger.address ? forged.manifest : file.manifest,
      owners &&
        (() => {
          onListed?.()
          return owners
        }),
    )
  }
  /** Whether a whole response arrived, or was cut off short of its Content-Length. */
  const readOutcome = (url: string, headers: Record<string, string> = {}): Promise<string> =>
    fetch(url, { headers })
      .then((r) => r.arrayBuffer())
      .then(
        () => 'complete',
        () => 'failed',
      )

  describe.each(['on this thread', 'on the hash pool'])('bare file hashes, hashed %s', (where) => {
    beforeAll(() => {
      if (where === 'on the hash pool') pool = createSliceHashPool({ size: 1 })
    })
    afterAll(async () => {
      await pool?.close()
      pool = undefined
    })

    it("a bare file hash never serves a stranger's manifest's bytes as the file; the owner's URI serves the owner's", async () => {
      const file = await makeFile(3 * 16_384 + 100, 16_384)
      const { gw } = await startForged(file)
      const bare = `${gw.url}/v1/files/${file.manifest.fileHash}`
      // Cut off before its last bytes (short of its Content-Length): no client takes it for a complete file.
      const outcome = await readOutcome(bare)
      expect(outcome).toBe('failed')
      expect((await fetch(bare, { headers: { range: 'bytes=0-99' } })).status).toBe(502)
      const uri = `${gw.url}/v1/files/sdm://${owner.address}/${file.manifest.fileHash}`
      const ownerFile = await fetch(uri)
      expect(ownerFile.status).toBe(200)
      expect(Buffer.from(await ownerFile.arrayBuffer()).equals(Buffer.from(file.bytes))).toBe(true)
    })

    it("falls back to another owner's manifest once the first one held is known not to describe the file", async () => {
      const file = await makeFile(3 * 16_384 + 100, 16_384)
      let listings = 0
      const { gw } = await startForged(file, [stranger.address, owner.address], () => listings++)
      const url = `${gw.url}/v1/files/${file.manifest.fileHash}`
      // A range: the stranger's manifest fails its check, the owner's passes, in the same request.
      const part = await fetch(url, { headers: { range: 'bytes=100-199' } })
      expect(part.status).toBe(206)
      expect(Buffer.from(await part.arrayBuffer()).equals(Buffer.from(file.bytes.subarray(100, 200)))).toBe(
        true,
      )
      const listedBefore = listings
      const whole = await fetch(url)
      expect(whole.headers.get('content-type')).toBe(file.manifest.mimeType || 'application/octet-stream')
      expect(Buffer.from(await whole.arrayBuffer()).equals(Buffer.from(file.bytes))).toBe(true)
      // The owner's, checked already, is served without listing the owners again (a remote call for a
      // node without the meta service).
      expect(listedBefore).toBeGreaterThan(0)
      expect(listings).toBe(listedBefore)
    })

    it("looks past encrypted decoys by other owners (12 of the 16 read) to the owner's manifest", async () => {
      const file = await makeFile(2 * 16_384 + 7, 16_384)
      const encrypted = forgeManifestOf(file, { encrypted: true }).manifest
      // Each another account's encrypted manifest naming the file (stored, so not checked again here).
      const decoys = Array.from(
        { length: 12 },
        (_, i): Manifest => ({
          ...encrypted,
          owner: `0x${(i + 1).toString(16).padStart(40, '0')}`,
        }),
      )
      const held = [encrypted, ...decoys, file.manifest]
      const { gw } = await start(
        file,
        async (hash) => file.slices.find((s) => s.hash === hash),
        async (_hash, asked) =>
          asked ? held.find((m) => m.owner.toLowerCase() === asked.toLowerCase()) : encrypted,
        () => held.map((m) => m.owner),
      )
      const got = await fetch(`${gw.url}/v1/files/${file.manifest.fileHash}`)
      expect(got.status).toBe(200)
      expect(Buffer.from(await got.arrayBuffer()).equals(Buffer.from(file.bytes))).toBe(true)
    })

    it("serves a bare file hash by another owner's manifest when nobody holds the slices the first lists", async () => {
      const file = await makeFile(2 * 16_384 + 7, 16_384)
      const forged = forgeManifestOf(file)
      const held = new Set(file.slices.map((s) => s.hash)) // the stranger never uploaded its slices
      const asked: (readonly SliceHash[])[] = []
      const { gw } = await start(
        file,
        async (hash) => file.slices.find((s) => s.hash === hash),
        async (_hash, owner) =>
          owner === undefined || owner === stranger.address ? forged.manifest : file.manifest,
        () => [stranger.address, owner.address],
        async (hashes) => {
          asked.push(hashes)
          return hashes.every((h) => held.has(h))
        },
      )
      const got = await fetch(`${gw.url}/v1/files/${file.manifest.fileHash}`)
      expect(got.status).toBe(200)
      expect(Buffer.from(await got.arrayBuffer()).equals(Buffer.from(file.bytes))).toBe(true)
      expect(asked).toEqual([
        forged.manifest.slices.map((s) => s.hash),
        file.manifest.slices.map((s) => s.hash),
      ])
      // Checked as a whole now: served without asking again.
      expect(
        (await fetch(`${gw.url}/v1/files/${file.manifest.fileHash}`, { headers: { range: 'bytes=1-2' } }))
          .status,
      ).toBe(206)
      expect(asked).toHaveLength(2) // the owner's, checked as a whole, is served without asking again
    })

    it('asks nothing about the slices of the only manifest of a file, and reads at most 16 other owners', async () => {
      const file = await makeFile(2 * 16_384 + 7, 16_384)
      const asked: (readonly SliceHash[])[] = []
      const reads: (string | undefined)[] = []
      let owners = [owner.address as string]
      const { gw } = await start(
        file,
        async (hash) => file.slices.find((s) => s.hash === hash),
        async (_hash, o) => {
          reads.push(o)
          return o === undefined || o === owner.address ? file.manifest : undefined
        },
        () => owners,
        async (hashes) => {
          asked.push(hashes)
          return held
        },
      )
      let held = true
      const url = `${gw.url}/v1/files/${file.manifest.fileHash}`
      expect((await fetch(url, { method: 'HEAD' })).status).toBe(200)
      expect(asked).toEqual([])
      expect(reads).toEqual([undefined])
      // Anyone can store manifests: a file with many owners costs at most 16 reads of others' per request.
      owners = [
        owner.address,
        ...Array.from({ length: 40 }, (_, i) => `0x${(i + 1).toString(16).padStart(40, '0')}`),
      ]
      // Its slices held nowhere, the first sends the gateway through the others (none of them there).
      held = false
      reads.length = 0
      await fetch(url, { method: 'HEAD' })
      expect(reads).toHaveLength(1 + 16)
    })

    it("reads other owners' manifests four ahead, so a slow index costs a wait per four, and stops the rest once one is chosen", async () => {
      const file = await makeFile(2 * 16_384 + 7, 16_384)
      const forged = forgeManifestOf(file) // the first: a stranger's, naming slices nobody holds
      const held = new Set(file.slices.map((s) => s.hash))
      const others = Array.from({ length: 16 }, (_, i) => `0x${(i + 1).toString(16).padStart(40, '0')}`)
      others[5] = owner.address // the owner's is the sixth listed
      const signals: (AbortSignal | undefined)[] = []
      let inFlight = 0
      let mostInFlight = 0
      const { gw } = await start(
        file,
        async (hash) => file.slices.find((s) => s.hash === hash),
        async (_hash, o, signal) => {
          if (o === undefined || o === stranger.address) return forged.manifest
          signals.push(signal)
          inFlight++
          mostInFlight = Math.max(mostInFlight, inFlight)
          await new Promise((r) => setTimeout(r, 20)) // e.g. a meta service that answers slowly
          inFlight--
          return o === owner.address ? file.manifest : undefined
        },
        () => [stranger.address, ...others],
        async (hashes) => hashes.every((h) => held.has(h)),
      )
      const got = await fetch(`${gw.url}/v1/files/${file.manifest.fileHash}`)
      expect(got.status).toBe(200)
      expect(Buffer.from(await got.arrayBuffer()).equals(Buffer.from(file.bytes))).toBe(true)
      expect(mostInFlight).toBe(4)
      expect(signals).toHaveLength(9) // up to the sixth, and three read ahead of it
      expect(signals.every((s) => s?.aborted)).toBe(true) // those still under way were stopped
    })

    it("serves the whole file by another owner's manifest after one response of the first was cut off", async () => {
      const file = await makeFile(2 * 16_384 + 7, 16_384)
      const { gw } = await startForged(file, [owner.address])
      const url = `${gw.url}/v1/files/${file.manifest.fileHash}`
      const first = await readOutcome(url)
      expect(first).toBe('failed')
      const again = await fetch(url)
      expect(Buffer.from(await again.arrayBuffer()).equals(Buffer.from(file.bytes))).toBe(true)
    })

    it('streams a bare-hash file asked for as bytes=0- (what a video player asks first) while checking it, reading it once', async () => {
      const file = await makeFile(3 * 16_384 + 100, 16_384)
      let loads = 0
      const { gw } = await start(file, async (hash) => {
        loads++
        return file.slices.find((s) => s.hash === hash)
      })
      const url = `${gw.url}/v1/files/${file.manifest.fileHash}`
      const res = await fetch(url, { headers: { range: 'bytes=0-' } })
      expect(res.status).toBe(206)
      expect(Buffer.from(await res.arrayBuffer()).equals(Buffer.from(file.bytes))).toBe(true)
      expect(loads).toBe(4) // not a whole check first, then the file again
      const { gw: forgedGw } = await startForged(file)
      const forgedUrl = `${forgedGw.url}/v1/files/${file.manifest.fileHash}`
      expect(await readOutcome(forgedUrl, { range: 'bytes=0-' })).toBe('failed')
    })

    it('checks a file by bare hash once, then serves it whole and in ranges, never to be sniffed or run', async () => {
      const file = await makeFile(3 * 16_384 + 100, 16_384)
      poolStreams = 0
      let loads = 0
      const { gw } = await start(file, async (hash) => {
        loads++
        return file.slices.find((s) => s.hash === hash)
      })
      const url = `${gw.url}/v1/files/${file.manifest.fileHash}`
      const part = await fetch(url, { headers: { range: 'bytes=16000-16999' } })
      expect(part.status).toBe(206)
      expect(
        Buffer.from(await part.arrayBuffer()).equals(Buffer.from(file.bytes.subarray(16000, 17000))),
      ).toBe(true)
      expect(loads).toBe(4 + 2) // the whole file checked once, then the two slices of the range
      const again = await fetch(url, { headers: { range: 'bytes=0-9' } })
      expect(again.status).toBe(206)
      await again.arrayBuffer()
      expect(loads).toBe(4 + 2 + 1)
      const whole = await fetch(url)
      expect(whole.headers.get('x-content-type-options')).toBe('nosniff')
      expect(whole.headers.get('content-security-policy')).toBe('sandbox')
      expect(Buffer.from(await whole.arrayBuffer()).equals(Buffer.from(file.bytes))).toBe(true)
      // Given a hash pool, the gateway hashes there: once for the ranges' check; a checked file not again.
      expect(poolStreams).toBe(where === 'on the hash pool' ? 1 : 0)
    })

    it('by bare file hash: a forged empty or encrypted manifest is refused, a known mismatch at once', async () => {
      const file = await makeFile(2 * 16_384, 16_384)
      for (const [forged, status] of [
        [forgeManifestOf(file, { empty: true }), 502],
        [forgeManifestOf(file, { encrypted: true }), 404],
      ] as const) {
        const { gw } = await start(
          file,
          async (hash) => forged.slices.find((s) => s.hash === hash),
          async () => forged.manifest,
        )
        const res = await fetch(`${gw.url}/v1/files/${file.manifest.fileHash}`)
        expect(res.status).toBe(status)
        await res.arrayBuffer()
        await gw.close()
      }
      const forged = forgeManifestOf(file)
      let loads = 0
      const { gw } = await start(
        file,
        async (hash) => {
          loads++
          return forged.slices.find((s) => s.hash === hash)
        },
        async () => forged.manifest,
      )
      const url = `${gw.url}/v1/files/${file.manifest.fileHash}`
      await fetch(url)
        .then((r) => r.arrayBuffer())
        .catch(() => {})
      expect(loads).toBe(2)
      expect((await fetch(url)).status).toBe(502) // known not to match: not read again
      expect(loads).toBe(2)
    })

    it('answers a range past the end without reading the file, and checks a file once for ranges asked at once', async () => {
      const file = await makeFile(4 * 16_384, 16_384)
      let loads = 0
      const { gw } = await start(file, async (hash) => {
        loads++
        await new Promise((r) => setTimeout(r, 20))
        return file.slices.find((s) => s.hash === hash)
      })
      const url = `${gw.url}/v1/files/${file.manifest.fileHash}`
      const past = await fetch(url, { headers: { range: 'bytes=999999-' } })
      expect(past.status).toBe(416)
      expect(loads).toBe(0)
      const parts = await Promise.all(
        ['bytes=0-0', 'bytes=20000-20000', 'bytes=40000-40000'].map((range) =>
          fetch(url, { headers: { range } }).then(async (r) => [
            r.status,
            (await r.arrayBuffer()).byteLength,
          ]),
        ),
      )
      expect(parts).toEqual([
        [206, 1],
        [206, 1],
        [206, 1],
      ])
      expect(loads).toBe(4 + 3) // one check of the 4 slices, then one slice per range
    })
  })

  it('a hash worker that dies while a bare-hash file streams cuts that response, and is no verdict on the file', async () => {
    pool = createSliceHashPool({ size: 1 })
    try {
      const file = await makeFile(3 * 16_384 + 100, 16_384)
      let crash = true
      const { gw } = await start(file, async (hash) => {
        const slice = file.slices.find((s) => s.hash === hash)
        if (slice?.number === 3 && crash) {
          crash = false
          await pool?.crashForTest()
        }
        return slice
      })
      const url = `${gw.url}/v1/files/${file.manifest.fileHash}`
      const first = await readOutcome(url)
      expect(first).toBe('failed')
      // Not remembered as a mismatch: the next request (a new worker) checks and serves the file.
      await until(async () => (await fetch(url, { headers: { range: 'bytes=0-0' } })).status === 206)
      const whole = await fetch(url)
      expect(Buffer.from(await whole.arrayBuffer()).equals(Buffer.from(file.bytes))).toBe(true)
    } finally {
      await pool.close()
      pool = undefined
    }
  })
})
