import { once } from 'node:events'
import type { Libp2p } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import { encodeManifestDelete, privateKeySigner, signManifestDelete } from '@stratos-edge/core'
import { createIndexClient, type SliceRecord, uploadSlice } from '@stratos-edge/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ResourceNode, type ResourceNodeInit, spawnResourceNode } from '../src/index.js'
import { openDiskSliceStore } from '../src/store/disk-slice-store.js'
import { createFileManifests } from '../src/store/file-manifests.js'
import { createUnpaidEviction } from '../src/store/unpaid-eviction.js'
import { metaStartArgs, runNode } from './cli-process.js'
import {
  createClient,
  makeFile,
  owner,
  quietLogger,
  sameBytes,
  type TestFile,
  tempDir,
  until,
} from './helpers.js'
import { createNodePool } from './support/node-pool.js'

const SLICE = 256 * 1024
/** A slice file on disk: the bytes and a header (under 128 bytes). */
const FILE_ROOM = SLICE + 128

describe('eviction of unpaid slices', () => {
  const cleanups: Array<() => Promise<void>> = []
  const pool = createNodePool('unpaid')
  let client: Libp2p

  const dir = async (): Promise<string> => {
    const d = await tempDir('unpaid')
    cleanups.push(d.cleanup)
    return d.dir
  }
  const startNode = (init: Partial<ResourceNodeInit>): Promise<ResourceNode> =>
    pool.start({ meta: true, rateLimits: false, ...init })
  /** The manifest as an uploader commits it: PUT_MANIFEST over libp2p to the meta service. */
  const commit = (node: ResourceNode, file: TestFile) =>
    createIndexClient(client, multiaddr(node.readyInfo().multiaddrs[0] as string)).putManifest(
      file.manifestBytes,
    )
  const holds = async (node: ResourceNode, slices: SliceRecord[]) =>
    (await Promise.all(slices.map((s) => node.store.has(s.hash)))).filter(Boolean).length

  beforeAll(async () => {
    client = await createClient()
  })

  afterAll(async () => {
    await client?.stop()
    await pool.close()
    for (const c of cleanups) await c()
  })

  it('part: past the grace only unpaid slices go; for room the oldest unpaid first, never a young or a paid one', async () => {
    const store = await openDiskSliceStore({
      dir: await dir(),
      maxBytes: 7 * FILE_ROOM + 4096,
      logger: quietLogger,
    })
    const paid = await makeFile(3 * SLICE, SLICE)
    const old = await makeFile(2 * SLICE, SLICE)
    const young = await makeFile(2 * SLICE, SLICE)
    for (const s of old.slices) await store.put(s)
    await new Promise((r) => setTimeout(r, 30))
    for (const s of paid.slices) await store.put(s)
    await store.putManifest(paid.manifestBytes)
    const youngSince = Date.now()
    await new Promise((r) => setTimeout(r, 30))
    for (const s of young.slices) await store.put(s)
    let fakeNow = Date.now() // a clock that moves only when told: the test runs at any speed
    let lookups = true
    const manifests = createFileManifests({ store })
    const eviction = createUnpaidEviction(
      { graceMs: 60_000, minAgeForRoomMs: 10_000 },
      {
        store,
        manifests: { of: (f) => (lookups ? manifests.of(f) : Promise.resolve(undefined)) },
        now: () => fakeNow,
      },
    )
    expect(await eviction.sweep()).toBe(0) // nothing is past the grace yet
    // Room for one more slice: nothing is old enough yet, so none is made.
    expect(await eviction.makeRoom(FILE_ROOM)).toBe(false)
    // The old (and the paid) are now past 10 s, the young not yet: they came 30 ms after youngSince.
    fakeNow = youngSince + 10_010
    expect(await eviction.makeRoom(FILE_ROOM)).toBe(true)
    expect(await store.has(old.slices[0]!.hash)).toBe(false) // the oldest unpaid went first
    expect(await store.has(old.slices[1]!.hash)).toBe(true) // and no more than needed
    for (const s of [...paid.slices, ...young.slices]) expect(await store.has(s.hash)).toBe(true)
    // Room that only a paid (or a young) slice could give is not made; the last old unpaid one went trying.
    expect(await eviction.makeRoom(4 * FILE_ROOM)).toBe(false)
    expect(await store.has(old.slices[1]!.hash)).toBe(false)
    for (const s of [...paid.slices, ...young.slices]) expect(await store.has(s.hash)).toBe(true)
    // A file whose manifests cannot be looked up (meta service unreachable) is left alone.
    fakeNow = Date.now() + 120_000
    lookups = false
    expect(await eviction.sweep()).toBe(0)
    lookups = true
    expect(await eviction.sweep()).toBe(2) // both young, now past the grace
    expect(store.sliceCount).toBe(3)
    for (const s of paid.slices) expect(await store.has(s.hash)).toBe(true)
    await eviction.stop()
    await store.close()
  })

  it('part: a ticketed file is paid until the ticket expires plus the margin; grace 0 never evicts; a deleted manifest is looked up again', async () => {
    const store = await openDiskSliceStore({
      dir: await dir(),
      maxBytes: 4 * FILE_ROOM + 4096,
      logger: quietLogger,
    })
    const ticketed = await makeFile(2 * SLICE, SLICE)
    const deleted = await makeFile(2 * SLICE, SLICE)
    for (const s of [...ticketed.slices, ...deleted.slices]) await store.put(s)
    await store.putManifest(deleted.manifestBytes)
    const t0 = Date.now()
    let fakeNow = t0 + 120_000 // every slice is past the grace and the minimum age
    const manifests = createFileManifests({ store })
    // `--unpaid-grace 0` means never: not even for room.
    const never = createUnpaidEviction({ graceMs: 0 }, { store, manifests, now: () => fakeNow })
    expect(await never.makeRoom(FILE_ROOM)).toBe(false)
    expect(await never.sweep()).toBe(0)
    expect(store.sliceCount).toBe(4)
    await never.stop()

    const expiry = t0 + 300_000
    const eviction = createUnpaidEviction(
      { graceMs: 60_000, minAgeForRoomMs: 10_000, ticketMarginMs: 600_000 },
      {
        store,
        manifests,
        now: () => fakeNow,
        ticketExpiry: (f) => (f === ticketed.manifest.fileHash ? expiry : undefined),
      },
    )
    // The ticketed upload's manifest has not come, but its ticket pays for it: kept, for room too.
    expect(await eviction.sweep()).toBe(0)
    expect(await eviction.makeRoom(FILE_ROOM)).toBe(false)
    expect(store.sliceCount).toBe(4)
    // The other file's manifest is deleted: once forgotten (as the deleter's `released` does), its slices go.
    expect(await store.deleteManifest?.(deleted.manifest.fileHash, deleted.manifest.owner)).toBe(true)
    eviction.forget(deleted.manifest.fileHash)
    expect(await eviction.sweep()).toBe(2)
    for (const s of deleted.slices) expect(await store.has(s.hash)).toBe(false)
    // The ticketed slices stay until the ticket's expiry plus the margin, then go.
    fakeNow = expiry + 600_000 - 1
    expect(await eviction.sweep()).toBe(0)
    fakeNow = expiry + 600_001
    expect(await eviction.sweep()).toBe(2)
    expect(store.sliceCount).toBe(0)
    await eviction.stop()
    await store.close()
  })

  it('node: slices whose manifest never came are evicted after the grace; a committed file stays and is served', async () => {
    const node = await startNode({ unpaidGraceMs: 1500 })
    const paid = await makeFile(4 * SLICE, SLICE)
    const abandoned = await makeFile(4 * SLICE, SLICE)
    // The manifest first: with a grace this short, a slow machine could outlast it between slices and commit.
    await commit(node, paid)
    for (const s of [...paid.slices, ...abandoned.slices]) await uploadSlice(node.gatewayUrl, s)
    await until(async () => (await holds(node, abandoned.slices)) === 0, 15_000)
    expect(await holds(node, paid.slices)).toBe(paid.slices.length)
    const res = await fetch(`${node.gatewayUrl}/v1/files/${paid.manifest.fileHash}`)
    expect(res.status).toBe(200)
    expect(sameBytes(new Uint8Array(await res.arrayBuffer()), paid.bytes)).toBe(true)
    // Counted once each file is gone from disk (a moment after the store stopped listing it).
    await until(async () =>
      /stratos_edge_slices_evicted_total\{reason="grace"\} 4\n/.test(
        await (await fetch(`${node.gatewayUrl}/metrics`)).text(),
      ),
    )
  })

  it('node: once its owner deletes the manifest, a file that was paid is evicted after the grace', async () => {
    const node = await startNode({ unpaidGraceMs: 1000 })
    const file = await makeFile(2 * SLICE, SLICE)
    await commit(node, file)
    for (const s of file.slices) await uploadSlice(node.gatewayUrl, s)
    // Sweeps past the grace have seen the file paid (and remembered that).
    await new Promise((r) => setTimeout(r, 2500))
    expect(await holds(node, file.slices)).toBe(2)
    const del = encodeManifestDelete(
      await signManifestDelete(
        { network: 0, fileHash: file.manifest.fileHash },
        privateKeySigner(owner.privateKey),
      ),
    )
    const index = createIndexClient(client, multiaddr(node.readyInfo().multiaddrs[0] as string))
    expect(await index.deleteManifest(del)).toBe(true)
    await until(async () => (await holds(node, file.slices)) === 0, 15_000)
  })

  it('node: a full store evicts unpaid slices before refusing; paid ones are never evicted (then 507)', async () => {
    const node = await startNode({
      maxBytes: 6 * FILE_ROOM + 64 * 1024,
      unpaidGraceMs: 3_600_000,
      unpaidMinAgeForRoomMs: 0,
    })
    const unpaid = await makeFile(6 * SLICE, SLICE)
    const paid = await makeFile(6 * SLICE, SLICE)
    for (const s of unpaid.slices) await uploadSlice(node.gatewayUrl, s)
    expect(await holds(node, unpaid.slices)).toBe(6)
    // The store is full of unpaid slices: each paid slice takes the place of the oldest.
    for (const s of paid.slices) expect((await uploadSlice(node.gatewayUrl, s)).stored).toBe('new')
    await commit(node, paid)
    expect(await holds(node, unpaid.slices)).toBe(0)
    expect(await holds(node, paid.slices)).toBe(6)
    // Only paid slices left: the next upload is refused, and nothing paid went.
    const more = await makeFile(SLICE, SLICE)
    await expect(uploadSlice(node.gatewayUrl, more.slices[0]!)).rejects.toMatchObject({
      name: 'StoreFullError',
    })
    expect(await holds(node, paid.slices)).toBe(6)
    const metrics = await (await fetch(`${node.gatewayUrl}/metrics`)).text()
    expect(metrics).toMatch(/stratos_edge_slices_evicted_total\{reason="room"\} 6/)
  })

  it('node: a node that knows no meta service never hears of a manifest, so it evicts nothing', async () => {
    const node = await startNode({ meta: false, unpaidGraceMs: 300 })
    const file = await makeFile(2 * SLICE, SLICE)
    for (const s of file.slices) await uploadSlice(node.gatewayUrl, s)
    await new Promise((r) => setTimeout(r, 1500))
    expect(await holds(node, file.slices)).toBe(2)
  })

  it('kill -9 while unpaid slices are being evicted loses no paid slice; after restart the rest go', async () => {
    const dataDir = await dir()
    const args = metaStartArgs(dataDir)
    const first = await spawnResourceNode({ args: [...args, '--unpaid-grace', '2s', '--no-rate-limits'] })
    const paid = await makeFile(8 * SLICE, SLICE)
    const unpaid = await makeFile(200 * 16 * 1024, 16 * 1024)
    const url = first.ready.gatewayUrl
    // The manifest first (see above), then its slices.
    await createIndexClient(client, multiaddr(first.ready.multiaddrs[0] as string)).putManifest(
      paid.manifestBytes,
    )
    for (const s of paid.slices) await uploadSlice(url, s)
    await Promise.all(
      [0, 1, 2, 3].map(async (k) => {
        for (let i = k; i < unpaid.slices.length; i += 4) await uploadSlice(url, unpaid.slices[i]!)
      }),
    )
    // Killed as soon as the node reports its first eviction: the sweep is (most likely) still going.
    const killed = once(first.child, 'exit')
    let evictedAtKill = 0
    await until(async () => {
      const text = await (await fetch(`${url}/metrics`)).text()
      evictedAtKill = Number(/stratos_edge_slices_evicted_total\{reason="grace"\} (\d+)/.exec(text)?.[1] ?? 0)
      return evictedAtKill > 0
    }, 15_000)
    first.child.kill('SIGKILL')
    await killed

    const second = await spawnResourceNode({ args: [...args, '--unpaid-grace', '2s'] })
    try {
      const health = async () =>
        ((await (await fetch(`${second.ready.gatewayUrl}/healthz`)).json()) as { slices: number }).slices
      // The unpaid slices left by the kill are older than the grace (their files' times): they go too.
      await until(async () => (await health()) === paid.slices.length, 15_000)
      const res = await fetch(`${second.ready.gatewayUrl}/v1/files/${paid.manifest.fileHash}`)
      expect(res.status).toBe(200)
      expect(sameBytes(new Uint8Array(await res.arrayBuffer()), paid.bytes)).toBe(true)
    } finally {
      await second.stop()
    }
    const verify = await runNode(['verify', '--data-dir', dataDir])
    expect(verify.code).toBe(0)
    expect(JSON.parse(verify.stdout)).toMatchObject({ ok: paid.slices.length, corrupt: [] })
    console.info(`kill -9 came after ${evictedAtKill} of ${unpaid.slices.length} unpaid slices were evicted`)
  }, 60_000)
})
