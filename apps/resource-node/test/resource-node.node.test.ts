import type { Libp2p } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { formatSdmUri, toEvmAddress } from '@stratos-edge/core'
import { createIndexClient, fetchSlice, openSlicePush, pushSlice } from '@stratos-edge/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createResourceNode, type ResourceNode } from '../src/index.js'
import {
  createClient,
  forgeManifestOf,
  makeFile,
  owner,
  quietLogger,
  sameBytes,
  stranger,
  type TestFile,
  tempDir,
  until,
} from './helpers.js'

describe('two resource nodes (meta + storage) and a client over WebSockets', () => {
  let meta: ResourceNode
  let storage: ResourceNode
  let client: Libp2p
  let file: TestFile
  const cleanups: Array<() => Promise<void>> = []

  beforeAll(async () => {
    const d1 = await tempDir('rn-meta')
    const d2 = await tempDir('rn-storage')
    cleanups.push(d1.cleanup, d2.cleanup)
    meta = await createResourceNode(
      { dataDir: d1.dir, meta: true, tcpPort: 0, wsPort: 0, httpPort: 0 },
      { logger: quietLogger },
    )
    await meta.start()
    storage = await createResourceNode(
      { dataDir: d2.dir, tcpPort: 0, wsPort: 0, httpPort: 0, bootstrap: [meta.readyInfo().multiaddrs[0]!] },
      { logger: quietLogger },
    )
    await storage.start()
    client = await createClient()
    file = await makeFile(5 * 1024 * 1024 + 4321, 1024 * 1024, 'video/mp4')
    await until(() => meta.metaService!.stats().resource === 2)
  })

  afterAll(async () => {
    await client?.stop()
    await storage?.stop()
    await meta?.stop()
    for (const c of cleanups) await c()
  })

  const metaWs = () => multiaddr(meta.readyInfo().wsMultiaddrs[0]!)

  it('places on 2 distinct resource nodes; one push per slice, the receiver replicates to the other', async () => {
    const index = createIndexClient(client, metaWs())
    const targets = await index.place({
      fileHash: file.manifest.fileHash,
      size: file.bytes.length,
      replicas: 2,
    })
    expect(targets).toHaveLength(2)
    expect(new Set(targets.map((t) => t.peerId)).size).toBe(2)
    expect(targets.every((t) => t.kind === 'resource')).toBe(true)
    const [first, second] = targets as [(typeof targets)[0], (typeof targets)[0]]
    // the client (like a browser) dials the first target over WebSockets
    const firstWs = first.multiaddrs.find((a) => a.includes('/ws'))!
    const session = await openSlicePush(client, multiaddr(firstWs), { window: 4 })
    await Promise.all(file.slices.map((s) => session.push(s, { forward: [second] })))
    await session.close()
    await index.putManifest(file.manifestBytes)
    const firstNode = first.peerId === meta.peerId.toString() ? meta : storage
    const secondNode = firstNode === meta ? storage : meta
    for (const s of file.slices) expect(await firstNode.store.has(s.hash)).toBe(true)
    await firstNode.replicationIdle()
    await until(async () =>
      (await Promise.all(file.slices.map((s) => secondNode.store.has(s.hash)))).every(Boolean),
    )
    // the index learns about both copies (storage announces to meta)
    await until(async () => {
      const found = await index.lookup(file.slices.map((s) => s.hash))
      return file.slices.every((s) => found.get(s.hash)?.length === 2)
    })
  })

  it('a slice pushed again is acknowledged but neither counted nor copied on again', async () => {
    const again = await makeFile(50_000, 16_384)
    const forward = [{ peerId: meta.peerId.toString(), multiaddrs: meta.readyInfo().multiaddrs }]
    const value = async (
      c: { get(): Promise<{ values: { value: number; labels: object }[] }> },
      label?: object,
    ) =>
      (await c.get()).values.find(
        (v) =>
          !label || Object.entries(label).every(([k, x]) => (v.labels as Record<string, unknown>)[k] === x),
      )?.value ?? 0
    const before = {
      stored: await value(storage.metrics.slicesStored),
      replicated: await value(storage.metrics.replications, { result: 'ok' }),
    }
    for (let round = 0; round < 2; round++) {
      const session = await openSlicePush(
        client,
        storage.readyInfo().wsMultiaddrs.map((a) => multiaddr(a)),
        { window: 4 },
      )
      await Promise.all(again.slices.map((s) => session.push(s, { forward })))
      await session.close()
      await storage.replicationIdle()
    }
    expect((await value(storage.metrics.slicesStored)) - before.stored).toBe(again.slices.length)
    expect((await value(storage.metrics.replications, { result: 'ok' })) - before.replicated).toBe(
      again.slices.length,
    )
  })

  it('fetches a slice from either node, verified', async () => {
    for (const node of [meta, storage]) {
      const s = file.slices[2]!
      const got = await fetchSlice(client, node.multiaddrs[0]!, s.hash)
      expect(sameBytes(got.data, s.data)).toBe(true)
    }
  })

  it('gateway serves the whole file with Content-Type and Content-Length', async () => {
    const res = await fetch(`${meta.gatewayUrl}/v1/files/${file.manifest.fileHash}`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('video/mp4')
    expect(res.headers.get('content-length')).toBe(String(file.bytes.length))
    expect(res.headers.get('accept-ranges')).toBe('bytes')
    expect(sameBytes(new Uint8Array(await res.arrayBuffer()), file.bytes)).toBe(true)
  })

  it('gateway honours Range across slice boundaries, suffix ranges, HEAD and 416', async () => {
    const url = `${storage.gatewayUrl}/v1/files/${file.manifest.fileHash}`
    const a = 1024 * 1024 - 10
    const b = 3 * 1024 * 1024 + 17
    const res = await fetch(url, { headers: { range: `bytes=${a}-${b}` } })
    expect(res.status).toBe(206)
    expect(res.headers.get('content-range')).toBe(`bytes ${a}-${b}/${file.bytes.length}`)
    expect(res.headers.get('content-length')).toBe(String(b - a + 1))
    expect(sameBytes(new Uint8Array(await res.arrayBuffer()), file.bytes.subarray(a, b + 1))).toBe(true)
    const tail = await fetch(url, { headers: { range: 'bytes=-100' } })
    expect(
      sameBytes(new Uint8Array(await tail.arrayBuffer()), file.bytes.subarray(file.bytes.length - 100)),
    ).toBe(true)
    const head = await fetch(url, { method: 'HEAD' })
    expect(head.headers.get('content-length')).toBe(String(file.bytes.length))
    const cached = await fetch(url, { headers: { 'if-none-match': head.headers.get('etag')! } })
    expect(cached.status).toBe(304)
    const preflight = await fetch(url, { method: 'OPTIONS' })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('access-control-allow-headers')).toContain('range')
    const bad = await fetch(url, { headers: { range: `bytes=${file.bytes.length}-` } })
    expect(bad.status).toBe(416)
    expect(bad.headers.get('content-range')).toBe(`bytes */${file.bytes.length}`)
  })

  it('gateway accepts the sdm:// form and checks the owner', async () => {
    const uri = formatSdmUri(owner.address, file.manifest.fileHash)
    const res = await fetch(`${meta.gatewayUrl}/v1/files/${uri}`)
    expect(res.status).toBe(200)
    expect(sameBytes(new Uint8Array(await res.arrayBuffer()), file.bytes)).toBe(true)
    const encoded = await fetch(`${meta.gatewayUrl}/v1/files/${encodeURIComponent(uri)}`, { method: 'HEAD' })
    expect(encoded.status).toBe(200)
    const otherOwner = formatSdmUri('st18yesadx3t8x3jjsygpqeqzh0j7xh2vh66945zx', file.manifest.fileHash)
    expect((await fetch(`${meta.gatewayUrl}/v1/files/${otherOwner}`)).status).toBe(404)
    expect((await fetch(`${meta.gatewayUrl}/v1/files/not-a-hash`)).status).toBe(400)
    const alias = await fetch(`${meta.gatewayUrl}/files/${file.manifest.fileHash}`, { method: 'HEAD' })
    expect(alias.headers.get('content-length')).toBe(String(file.bytes.length))
  })

  it('a storage node fetches a missing slice from its peer for the gateway', async () => {
    const s = file.slices[1]!
    await storage.store.delete(s.hash)
    const res = await fetch(`${storage.gatewayUrl}/v1/files/${file.manifest.fileHash}`)
    expect(sameBytes(new Uint8Array(await res.arrayBuffer()), file.bytes)).toBe(true)
    expect(await storage.store.has(s.hash)).toBe(true)
  })

  it('readers of a slice the storage node lacks share one fetch from its peer', async () => {
    const s = file.slices[2]!
    await storage.store.delete(s.hash)
    const served = async () => {
      const text = await (await fetch(`${meta.gatewayUrl}/metrics`)).text()
      return Number(/^stratos_edge_slices_served_total (\d+)$/m.exec(text)?.[1] ?? 0)
    }
    const before = await served()
    const at = 2 * 1024 * 1024 + 777 // in slice 3
    const answers = await Promise.all(
      Array.from({ length: 6 }, () =>
        fetch(`${storage.gatewayUrl}/v1/files/${file.manifest.fileHash}`, {
          headers: { range: `bytes=${at}-${at}` },
        }),
      ),
    )
    for (const res of answers) {
      expect(res.status).toBe(206)
      expect(new Uint8Array(await res.arrayBuffer())).toEqual(file.bytes.subarray(at, at + 1))
    }
    // Without sharing, each 1-byte read fetched the whole 1 MiB slice.
    expect((await served()) - before).toBe(1)
    expect(await storage.store.has(s.hash)).toBe(true)
  })

  /** A file on the meta node, whose first manifest is a stranger's naming slices nobody holds. */
  const uploadAfterForgedManifest = async (): Promise<TestFile> => {
    const f = await makeFile(50_000, 16_384)
    const index = createIndexClient(client, metaWs())
    await index.putManifest(forgeManifestOf(f).manifestBytes) // stored first: its slices were never uploaded
    const session = await openSlicePush(client, metaWs(), { window: 4 })
    await Promise.all(f.slices.map((s) => session.push(s)))
    await session.close()
    await index.putManifest(f.manifestBytes)
    return f
  }

  it("a bare file hash whose first manifest names slices nobody holds is served by the owner's", async () => {
    const f = await uploadAfterForgedManifest()
    const res = await fetch(`${meta.gatewayUrl}/v1/files/${f.manifest.fileHash}`)
    expect(res.status).toBe(200)
    expect(sameBytes(new Uint8Array(await res.arrayBuffer()), f.bytes)).toBe(true)
  })

  it("a node without the meta service falls back on an owner's manifest only the meta service keeps", async () => {
    const f = await uploadAfterForgedManifest()
    // The storage node keeps neither manifest: the owners it can fall back on come from the meta service.
    expect(storage.store.manifestOwners(f.manifest.fileHash)).toEqual([])
    const res = await fetch(`${storage.gatewayUrl}/v1/files/${f.manifest.fileHash}`)
    expect(res.status).toBe(200)
    expect(sameBytes(new Uint8Array(await res.arrayBuffer()), f.bytes)).toBe(true)
  })

  it('a node without the meta service asks it to resolve a bare file hash once per 30 s, not per read', async () => {
    const f = await uploadAfterForgedManifest()
    const asked = async () => {
      const text = await (await fetch(`${meta.gatewayUrl}/metrics`)).text()
      return Number(/^stratos_edge_index_requests_total\{op="get_manifest"\} (\d+)$/m.exec(text)?.[1] ?? 0)
    }
    const before = await asked()
    const url = `${storage.gatewayUrl}/v1/files/${f.manifest.fileHash}`
    for (let i = 0; i < 3; i++) {
      const res = await fetch(url, { headers: { range: 'bytes=0-99' } })
      expect(res.status).toBe(206)
      expect(sameBytes(new Uint8Array(await res.arrayBuffer()), f.bytes.subarray(0, 100))).toBe(true)
    }
    expect(await asked()).toBe(before + 1)
  })

  it('a node without the meta service answers a bare file hash over the index protocol as the meta service resolves it', async () => {
    const storageIndex = createIndexClient(client, multiaddr(storage.readyInfo().wsMultiaddrs[0]!))
    // Kept only by the meta service: asked, not "no manifest".
    const f = await uploadAfterForgedManifest()
    expect(storage.store.manifestOwners(f.manifest.fileHash)).toEqual([])
    expect(sameBytes(await storageIndex.getManifest(f.manifest.fileHash), f.manifestBytes)).toBe(true)
    // A stranger's stored here first does not win: the meta service's answer does.
    const g = await uploadAfterForgedManifest()
    const strangers = await createIndexClient(client, metaWs()).getManifest(g.manifest.fileHash, {
      owner: toEvmAddress(stranger.address),
    })
    await storage.store.putManifest(strangers)
    expect(sameBytes(await storageIndex.getManifest(g.manifest.fileHash), g.manifestBytes)).toBe(true)
    // With an owner, that owner's (kept here, or asked).
    const asStranger = await storageIndex.getManifest(g.manifest.fileHash, {
      owner: toEvmAddress(stranger.address),
    })
    expect(sameBytes(asStranger, strangers)).toBe(true)
    const asOwner = await storageIndex.getManifest(f.manifest.fileHash, {
      owner: toEvmAddress(owner.address),
    })
    expect(sameBytes(asOwner, f.manifestBytes)).toBe(true)
  })

  it('healthz and Prometheus metrics', async () => {
    const health = await (await fetch(`${meta.gatewayUrl}/healthz`)).json()
    expect(health).toMatchObject({ status: 'ok', peerId: meta.peerId.toString(), meta: true })
    const res = await fetch(`${meta.gatewayUrl}/metrics`)
    expect(res.headers.get('content-type')).toContain('text/plain')
    const text = await res.text()
    expect(text).toMatch(/^stratos_edge_store_slices \d+$/m)
    expect(text).toMatch(/^stratos_edge_gateway_bytes_total [1-9]\d*$/m)
    expect(text).toMatch(/stratos_edge_meta_peers\{kind="resource"\} 2/)
    expect(text).toContain('stratos_edge_process_cpu_seconds_total')
  })

  it('a corrupt push is refused with SliceHashMismatchError and counted; the node keeps serving', async () => {
    const other = await makeFile(100_000, 100_000)
    const corrupt = { ...other.slices[0]!, data: other.slices[0]!.data.slice() }
    corrupt.data[99] = (corrupt.data[99] as number) ^ 0x55
    const target = storage.multiaddrs[0]!
    const bad = pushSlice(client, target, corrupt)
    const good = fetchSlice(client, target, file.slices[0]!.hash)
    await expect(bad).rejects.toMatchObject({ name: 'SliceHashMismatchError' })
    expect(sameBytes((await good).data, file.slices[0]!.data)).toBe(true)
    expect(await storage.store.has(corrupt.hash)).toBe(false)
    const text = await (await fetch(`${storage.gatewayUrl}/metrics`)).text()
    expect(text).toMatch(
      /stratos_edge_stream_errors_total\{protocol="\/stratos-edge\/slice-push\/1.0.0",error="SliceHashMismatchError"\} 1/,
    )
  })

  it('a slice that leaves a store is withdrawn from the index (in-process and remote)', async () => {
    const index = createIndexClient(client, metaWs())
    const s = file.slices[4]!
    const holders = async () => ((await index.lookup([s.hash])).get(s.hash) ?? []).map((p) => p.peerId).sort()
    expect(await holders()).toEqual([meta.peerId.toString(), storage.peerId.toString()].sort())
    await meta.store.delete(s.hash)
    expect(await holders()).toEqual([storage.peerId.toString()])
    await storage.store.delete(s.hash)
    await until(async () => (await holders()).length === 0)
  })

  it("answers which owners signed manifests of a file over the index protocol, and each one's manifest", async () => {
    const small = await makeFile(40_000, 16_384)
    const fileHash = small.manifest.fileHash
    const forged = forgeManifestOf(small)
    const index = createIndexClient(client, metaWs())
    expect(await index.manifestOwners(fileHash)).toEqual([])
    await index.putManifest(small.manifestBytes)
    await index.putManifest(forged.manifestBytes)
    // Checksummed, first stored first.
    expect(await index.manifestOwners(fileHash)).toEqual([
      toEvmAddress(owner.address),
      toEvmAddress(stranger.address),
    ])
    const strangers = await index.getManifest(fileHash, { owner: toEvmAddress(stranger.address) })
    expect(sameBytes(strangers, forged.manifestBytes)).toBe(true)
    // A node without the meta service serves the request too, from the manifests it keeps itself: none of
    // this file (the meta service kept them), so it lists nobody.
    const storageWs = multiaddr(storage.readyInfo().wsMultiaddrs[0]!)
    expect(await createIndexClient(client, storageWs).manifestOwners(fileHash)).toEqual([])
  })

  it('the peer id persists across restarts of the same data dir', async () => {
    const d = await tempDir('rn-key')
    cleanups.push(d.cleanup)
    const a = await createResourceNode(
      { dataDir: d.dir, tcpPort: 0, wsPort: 0, httpPort: 0 },
      { logger: quietLogger },
    )
    const b = await createResourceNode(
      { dataDir: d.dir, tcpPort: 0, wsPort: 0, httpPort: 0 },
      { logger: quietLogger },
    )
    expect(a.peerId.toString()).toBe(b.peerId.toString())
    expect(peerIdFromString(a.peerId.toString()).type).toBe('Ed25519')
  })
})
