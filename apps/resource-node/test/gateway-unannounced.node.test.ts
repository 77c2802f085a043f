// The gateway and slices announced after their manifest (right after an upload the manifest is indexed
// before the storing nodes' batched announcements arrive), on real libp2p: a read in flight waits for
// the last slice's announcement instead of cutting the body; one never announced is a 503 before any byte.
import { createHash } from 'node:crypto'
import type { Libp2p } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import { formatSdmUri, type SliceHash } from '@stratos-edge/core'
import { createIndexClient, createMemorySliceStore, registerSliceProtocols } from '@stratos-edge/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createResourceNode, type ResourceNode } from '../src/index.js'
import { createGatewaySlices } from '../src/node/gateway-slices.js'
import { createClient, makeFile, owner, quietLogger, type TestFile, tempDir } from './helpers.js'

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')

describe('a gateway read of slices announced late', () => {
  let meta: ResourceNode
  let holder: Libp2p
  const held = createMemorySliceStore()
  const cleanups: Array<() => Promise<void>> = []

  beforeAll(async () => {
    const d = await tempDir('gw-late')
    cleanups.push(d.cleanup)
    meta = await createResourceNode(
      { dataDir: d.dir, meta: true, tcpPort: 0, wsPort: 0, httpPort: 0 },
      { logger: quietLogger },
    )
    await meta.start()
    // A storing node whose announcements the test times: it serves slice fetches over the connection
    // it opened to the meta service (the registry is open: it announces itself a resource node).
    holder = await createClient()
    await registerSliceProtocols(holder, { store: held, acceptPush: false })
  })

  afterAll(async () => {
    await holder?.stop()
    await meta?.stop()
    for (const c of cleanups) await c()
  })

  /** Stores the file's slices on the holder, announces all but the last `late`, and puts the manifest. */
  async function publish(file: TestFile, late: number) {
    for (const s of file.slices) await held.put(s, { verified: true })
    const index = createIndexClient(holder, multiaddr(meta.readyInfo().wsMultiaddrs[0]!))
    const announce = (hashes: SliceHash[]) =>
      index.announce({ kind: 'resource', multiaddrs: [], freeBytes: 0, replace: false, hashes })
    const hashes = file.slices.map((s) => s.hash)
    await announce(hashes.slice(0, hashes.length - late))
    await index.putManifest(file.manifestBytes)
    return { announceRest: () => announce(hashes.slice(hashes.length - late)) }
  }

  const url = (file: TestFile) =>
    `${meta.gatewayUrl}/v1/files/${formatSdmUri(owner.address, file.manifest.fileHash)}`

  it('a GET in flight when the last slice is announced ~1 s later gets the whole body', async () => {
    // Warm (worker threads, connection): a cold first read alone can take over a second, hiding the bug.
    const warm = await makeFile(2 * 65_536, 65_536)
    await publish(warm, 0)
    expect((await fetch(url(warm)).then((r) => r.arrayBuffer())).byteLength).toBe(warm.bytes.length)
    const file = await makeFile(12 * 65_536 + 1234, 65_536)
    const { announceRest } = await publish(file, 1)
    const started = Date.now()
    const read = fetch(url(file), { signal: AbortSignal.timeout(30_000) }).then(async (res) => ({
      status: res.status,
      body: new Uint8Array(await res.arrayBuffer()),
    }))
    await new Promise((r) => setTimeout(r, 1000))
    await announceRest()
    const { status, body } = await read
    expect(status).toBe(200)
    expect(body.length).toBe(file.bytes.length)
    expect(sha256(body)).toBe(sha256(file.bytes))
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000)
  })

  it('a slice nobody announces is a 503 with Retry-After, before any byte', async () => {
    const file = await makeFile(4 * 65_536, 65_536)
    await publish(file, 1)
    const res = await fetch(url(file), { signal: AbortSignal.timeout(30_000) })
    expect(res.status).toBe(503)
    expect(res.headers.get('retry-after')).toBe('2')
    await res.arrayBuffer()
  })

  it('mid-stream, a slice with no provider yet is looked up again before the read gives up', async () => {
    const file = await makeFile(2 * 65_536, 65_536)
    await publish(file, 2)
    const hash = file.slices[1]!.hash
    const record = { peerId: holder.peerId.toString(), kind: 'resource' as const, multiaddrs: [] }
    let lookups = 0
    // The index knows no provider for its first three answers (announcements still on their way).
    const slices = createGatewaySlices({
      libp2p: meta.libp2p,
      store: { get: async () => undefined, has: async () => false, put: async () => true },
      readCache: { read: async function* () {}, cachedBytes: 0 },
      meta: { lookup: async (hashes) => new Map(hashes.map((h) => [h, ++lookups > 3 ? [record] : []])) },
      logger: quietLogger,
    })
    const chunks: Uint8Array[] = []
    for await (const c of slices.readSlice(hash, 0, 65_536, new AbortController().signal)) chunks.push(c)
    expect(sha256(Buffer.concat(chunks))).toBe(sha256(file.slices[1]!.data))
    expect(lookups).toBe(4)
  })
})
