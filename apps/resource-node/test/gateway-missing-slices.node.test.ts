// The gateway and slices no resource node holds, on real libp2p and a real meta service: an old file's
// missing slice is answered at once (no wait for announcements that will not come), concurrent readers
// share the index lookups, and a reader that leaves while a fetch waits frees its place at once.
import type { Libp2p } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import {
  createManifest,
  encodeManifest,
  formatSdmUri,
  type SliceHash,
  signManifest,
  sliceFile,
} from '@stratos-edge/core'
import { createIndexClient, createMemorySliceStore, registerSliceProtocols } from '@stratos-edge/protocol'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { RECENT_MANIFEST_MS } from '../src/gateway/missing-slices.js'
import { createResourceNode, type ResourceNode } from '../src/index.js'
import { createGatewaySlices } from '../src/node/gateway-slices.js'
import {
  createClient,
  owner,
  quietLogger,
  randomBytes,
  sliceRecords,
  type TestFile,
  tempDir,
} from './helpers.js'

/** A random file whose manifest was signed `ageMs` ago. */
async function makeFileAged(size: number, sliceSize: number, ageMs: number): Promise<TestFile> {
  const bytes = randomBytes(size)
  const sliced = await sliceFile(bytes, { sliceSize })
  const manifest = signManifest(
    createManifest({ sliced, owner: owner.address, mimeType: 'video/mp4', createdAt: Date.now() - ageMs }),
    owner.privateKey,
  )
  return { bytes, manifest, manifestBytes: encodeManifest(manifest), slices: sliceRecords(bytes, sliced) }
}

describe('a gateway read of slices no resource node holds', () => {
  let meta: ResourceNode
  let holder: Libp2p
  const held = createMemorySliceStore()
  const cleanups: Array<() => Promise<void>> = []

  beforeAll(async () => {
    const d = await tempDir('gw-missing')
    cleanups.push(d.cleanup)
    meta = await createResourceNode(
      { dataDir: d.dir, meta: true, tcpPort: 0, wsPort: 0, httpPort: 0, rateLimits: false },
      { logger: quietLogger },
    )
    await meta.start()
    holder = await createClient()
    await registerSliceProtocols(holder, { store: held, acceptPush: false })
  })

  afterAll(async () => {
    await holder?.stop()
    await meta?.stop()
    for (const c of cleanups) await c()
  })

  /** Stores the file's slices on the holder, announces all but the last `lost`, and puts the manifest. */
  async function publish(file: TestFile, lost: number): Promise<void> {
    for (const s of file.slices) await held.put(s, { verified: true })
    const index = createIndexClient(holder, multiaddr(meta.readyInfo().wsMultiaddrs[0]!))
    const hashes = file.slices.map((s) => s.hash)
    await index.announce({
      kind: 'resource',
      multiaddrs: [],
      freeBytes: 0,
      replace: false,
      hashes: hashes.slice(0, hashes.length - lost),
    })
    await index.putManifest(file.manifestBytes)
  }

  const url = (file: TestFile) =>
    `${meta.gatewayUrl}/v1/files/${formatSdmUri(owner.address, file.manifest.fileHash)}`

  it('an old file with a slice nobody holds is a 502 at once, naming the missing count', async () => {
    const file = await makeFileAged(4 * 65_536, 65_536, RECENT_MANIFEST_MS + 60_000)
    await publish(file, 1)
    const started = Date.now()
    const res = await fetch(url(file), { signal: AbortSignal.timeout(30_000) })
    const took = Date.now() - started
    expect(res.status).toBe(502)
    expect(res.headers.get('retry-after')).toBeNull()
    expect(res.headers.get('content-type')).toBe('application/json')
    const body = (await res.json()) as { error: string; missingSlices: number }
    expect(body.error).toBe('SlicesUnavailableError')
    expect(body.missingSlices).toBe(1)
    expect(took).toBeLessThan(1000)
  })

  it('a createdAt far in the future does not make a file wait forever', async () => {
    const file = await makeFileAged(2 * 65_536, 65_536, -(RECENT_MANIFEST_MS + 60_000))
    await publish(file, 1)
    const res = await fetch(url(file), { signal: AbortSignal.timeout(30_000) })
    expect(res.status).toBe(502)
    await res.arrayBuffer()
  })

  it('50 concurrent GETs of a file held elsewhere cost a few index lookups, not 50', async () => {
    const file = await makeFileAged(3 * 65_536 + 99, 65_536, RECENT_MANIFEST_MS + 60_000)
    await publish(file, 0)
    const service = meta.metaService!
    const ours = new Set<SliceHash>(file.slices.map((s) => s.hash))
    const lookup = vi.spyOn(service, 'lookup')
    try {
      const reads = await Promise.all(
        Array.from({ length: 50 }, () =>
          fetch(url(file), { signal: AbortSignal.timeout(60_000) }).then(async (r) => ({
            status: r.status,
            length: (await r.arrayBuffer()).byteLength,
          })),
        ),
      )
      for (const r of reads) expect(r).toEqual({ status: 200, length: file.bytes.length })
      const lookups = lookup.mock.calls.filter(([hashes]) => hashes.some((h) => ours.has(h))).length
      expect(lookups).toBeGreaterThan(0)
      expect(lookups).toBeLessThanOrEqual(3)
    } finally {
      lookup.mockRestore()
    }
  })

  it("50 concurrent GETs of a recent file with a lost slice share the waits' lookups", async () => {
    const file = await makeFileAged(2 * 65_536, 65_536, 0)
    await publish(file, 1)
    const lost = file.slices.at(-1)!.hash
    const lookup = vi.spyOn(meta.metaService!, 'lookup')
    try {
      const statuses = await Promise.all(
        Array.from({ length: 50 }, () =>
          fetch(url(file), { signal: AbortSignal.timeout(60_000) }).then(async (r) => {
            await r.arrayBuffer()
            return r.status
          }),
        ),
      )
      expect(new Set(statuses)).toEqual(new Set([503]))
      const lookups = lookup.mock.calls.filter(([hashes]) => hashes.includes(lost)).length
      // One per wait step (6), a few more for readers that arrived between steps; not 50 × 6.
      expect(lookups).toBeLessThanOrEqual(15)
    } finally {
      lookup.mockRestore()
    }
  })

  it('a client that disconnects while the gateway waits for a slice stops the waiting', async () => {
    // 34 slices: the first 32 are checked before the first byte, the last (lost) is reached mid-stream.
    const sliceSize = 16_384
    const file = await makeFileAged(34 * sliceSize, sliceSize, 0)
    await publish(file, 1)
    const lost = file.slices.at(-1)!.hash
    const lookup = vi.spyOn(meta.metaService!, 'lookup')
    const asked = () => lookup.mock.calls.filter(([hashes]) => hashes.includes(lost)).length
    try {
      const leaving = new AbortController()
      const res = await fetch(url(file), { signal: leaving.signal })
      expect(res.status).toBe(200)
      const reader = res.body!.getReader()
      let received = 0
      while (received < 33 * sliceSize) {
        const { value, done } = await reader.read()
        if (done) break
        received += value.length
      }
      expect(received).toBe(33 * sliceSize)
      // The gateway now waits (~3 s) for the last slice's announcement: the client leaves.
      await new Promise((r) => setTimeout(r, 300))
      leaving.abort()
      await new Promise((r) => setTimeout(r, 300))
      const after = asked()
      expect(after).toBeGreaterThan(0)
      await new Promise((r) => setTimeout(r, 2000))
      expect(asked()).toBe(after)
    } finally {
      lookup.mockRestore()
    }
  })

  it('a reader that leaves while a fetch waits for an announcement frees its place at once', async () => {
    let lookups = 0
    const slices = createGatewaySlices({
      libp2p: meta.libp2p,
      store: { get: async () => undefined, has: async () => false, put: async () => true },
      readCache: { read: async function* () {}, cachedBytes: 0 },
      // Nobody has anything: a recent file's fetch waits ~3 s for an announcement.
      meta: {
        lookup: async (hashes) => {
          lookups++
          return new Map(hashes.map((h) => [h, []]))
        },
      },
      logger: quietLogger,
      maxRemoteFetches: 1,
    })
    const file = await makeFileAged(2 * 65_536, 65_536, 0)
    const [a, b] = file.slices.map((s) => s.hash) as [SliceHash, SliceHash]
    const leaving = new AbortController()
    const first = (async () => {
      for await (const _ of slices.readSlice(a, 0, 65_536, leaving.signal)) break
    })()
    await new Promise((r) => setTimeout(r, 100))
    leaving.abort()
    await expect(first).rejects.toBeDefined()
    const started = Date.now()
    // The only place is free: another slice's read is not turned away busy (it finds nobody instead).
    const second = (async () => {
      for await (const _ of slices.readSlice(b, 0, 65_536, AbortSignal.timeout(10_000), {
        waitForAnnounce: false,
      }))
        break
    })()
    await expect(second).rejects.toMatchObject({ name: 'SliceNotFoundError' })
    expect(Date.now() - started).toBeLessThan(1000)
    // The first fetch stopped waiting: it asks the index no more.
    const after = lookups
    await new Promise((r) => setTimeout(r, 1200))
    expect(lookups).toBe(after)
  })
})
