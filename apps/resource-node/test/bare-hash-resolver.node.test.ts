import { afterEach, describe, expect, it } from 'vitest'
import { createMetaService, openDiskSliceStore } from '../src/index.js'
import { forgeManifestOf, makeFile, quietLogger, sameBytes, tempDir } from './helpers.js'

describe('bare file hashes resolved by the meta service', () => {
  const cleanups: Array<() => Promise<void>> = []
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c()
  })

  const setup = async (resourcePeers?: string[]) => {
    const t = await tempDir('resolve')
    const store = await openDiskSliceStore({ dir: t.dir, logger: quietLogger })
    cleanups.push(async () => {
      await store.close()
      await t.cleanup()
    })
    let clock = 1_000_000
    const meta = createMetaService({
      manifests: store,
      now: () => clock,
      ...(resourcePeers ? { resourcePeers } : {}),
    })
    const ctx = { peer: { toString: () => 'asker' } as never, remoteAddr: '/ip4/127.0.0.1/tcp/1' }
    const holds = (peerId: string, hashes: string[]) =>
      meta.registerLocal(
        peerId,
        { kind: 'resource', multiaddrs: [], freeBytes: 0, replace: false, hashes: hashes as never },
        '/ip4/127.0.0.1/tcp/2',
      )
    return { store, meta, ctx, holds, advance: (ms: number) => (clock += ms) }
  }

  it("prefers the manifest whose slices registered resource nodes hold over a stranger's stored first", async () => {
    const { meta, ctx, holds, advance } = await setup()
    const file = await makeFile(40_000, 16_384)
    const forged = forgeManifestOf(file) // names slices nobody holds
    await meta.putManifest(forged.manifestBytes, ctx)
    await meta.putManifest(file.manifestBytes, ctx)
    // Nobody holds either's slices: the first stored.
    expect(sameBytes((await meta.getManifest(file.manifest.fileHash, ctx))!, forged.manifestBytes)).toBe(true)
    holds(
      'node-a',
      file.slices.map((s) => s.hash),
    )
    // The slices arrived after the answer: an answer no node backed is kept only 5 s, then the owner's.
    expect(sameBytes((await meta.getManifest(file.manifest.fileHash, ctx))!, forged.manifestBytes)).toBe(true)
    advance(6_000)
    expect(sameBytes((await meta.getManifest(file.manifest.fileHash, ctx))!, file.manifestBytes)).toBe(true)
  })

  it('answers the held one, keeps the answer, and forgets it when another manifest of the file is stored', async () => {
    const { meta, ctx, holds, store, advance } = await setup()
    const file = await makeFile(40_000, 16_384)
    const forged = forgeManifestOf(file)
    holds(
      'node-a',
      file.slices.map((s) => s.hash),
    )
    await meta.putManifest(forged.manifestBytes, ctx)
    await meta.putManifest(file.manifestBytes, ctx)
    const fileHash = file.manifest.fileHash
    expect(sameBytes((await meta.getManifest(fileHash, ctx))!, file.manifestBytes)).toBe(true)
    // Kept: the store is not read again within 30 s.
    let reads = 0
    const getManifest = store.getManifest
    store.getManifest = async (...args) => {
      reads++
      return getManifest(...args)
    }
    for (let i = 0; i < 5; i++) await meta.resolveManifest(fileHash)
    expect(reads).toBe(0)
    advance(31_000)
    await meta.resolveManifest(fileHash)
    expect(reads).toBeGreaterThan(0)
    // With an owner, that owner's, whatever is resolved for the bare hash.
    expect(
      sameBytes((await meta.getManifest(fileHash, ctx, forged.manifest.owner))!, forged.manifestBytes),
    ).toBe(true)
  })

  it('counts only registered resource nodes as holding slices', async () => {
    const { meta, ctx } = await setup(['node-registered'])
    const file = await makeFile(40_000, 16_384)
    const forged = forgeManifestOf(file)
    // The stranger's slices are held by a node that announces itself a resource node, unregistered: the
    // registry refuses the announcement.
    const unregistered = () =>
      meta.announce(
        {
          kind: 'resource',
          multiaddrs: [],
          freeBytes: 0,
          replace: false,
          hashes: forged.slices.map((s) => s.hash),
        },
        { peer: { toString: () => 'node-unregistered' } as never, remoteAddr: '/ip4/127.0.0.1/tcp/3' },
      )
    expect(unregistered).toThrow(expect.objectContaining({ name: 'InvalidArgumentError' }))
    await meta.putManifest(forged.manifestBytes, ctx)
    await meta.putManifest(file.manifestBytes, ctx)
    meta.announce(
      {
        kind: 'resource',
        multiaddrs: [],
        freeBytes: 0,
        replace: false,
        hashes: file.slices.map((s) => s.hash),
      },
      { peer: { toString: () => 'node-registered' } as never, remoteAddr: '/ip4/127.0.0.1/tcp/4' },
    )
    expect(sameBytes((await meta.getManifest(file.manifest.fileHash, ctx))!, file.manifestBytes)).toBe(true)
  })

  it('does not keep an answer resolved from before a manifest of the file was stored', async () => {
    const { meta, ctx, holds, store } = await setup()
    const file = await makeFile(40_000, 16_384)
    const forged = forgeManifestOf(file)
    await meta.putManifest(forged.manifestBytes, ctx)
    // The resolution reads the owners (only the stranger), then waits on the store.
    let release = () => {}
    const gate = new Promise<void>((r) => {
      release = r
    })
    const getManifest = store.getManifest
    store.getManifest = async (...args) => {
      await gate
      return getManifest(...args)
    }
    const early = meta.resolveManifest(file.manifest.fileHash)
    await new Promise((r) => setTimeout(r, 20))
    await meta.putManifest(file.manifestBytes, ctx)
    holds(
      'node-a',
      file.slices.map((s) => s.hash),
    )
    release()
    expect(sameBytes((await early)!, forged.manifestBytes)).toBe(true)
    store.getManifest = getManifest
    // The owner's now: the early answer was not kept.
    expect(sameBytes((await meta.getManifest(file.manifest.fileHash, ctx))!, file.manifestBytes)).toBe(true)
  })
})
