import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { openDiskSliceStore } from '../src/index.js'
import { makeFile, quietLogger, sameBytes, tempDir } from './helpers.js'

describe('disk slice store', () => {
  const cleanups: Array<() => Promise<void>> = []
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c()
  })
  const fresh = async () => {
    const t = await tempDir('store')
    cleanups.push(t.cleanup)
    return t.dir
  }

  it('stores, reopens and serves verified slices', async () => {
    const dir = await fresh()
    const file = await makeFile(300_000, 100_000)
    const store = await openDiskSliceStore({ dir, logger: quietLogger })
    for (const s of file.slices) await store.put(s)
    await store.put(file.slices[0]!) // idempotent
    expect(store.sliceCount).toBe(3)
    const reopened = await openDiskSliceStore({ dir, logger: quietLogger })
    expect(reopened.sliceCount).toBe(3)
    for (const s of file.slices) {
      const got = await reopened.get(s.hash)
      expect(got && sameBytes(got.data, s.data)).toBe(true)
      expect(await reopened.info(s.hash)).toMatchObject({ number: s.number, size: s.data.length })
    }
    expect((await reopened.verifyAll()).ok).toBe(3)
    expect(await reopened.delete(file.slices[0]!.hash)).toBe(true)
    expect(await reopened.has(file.slices[0]!.hash)).toBe(false)
  })

  it('rejects a slice whose bytes do not match its hash', async () => {
    const store = await openDiskSliceStore({ dir: await fresh(), logger: quietLogger })
    const file = await makeFile(50_000, 50_000)
    const bad = { ...file.slices[0]!, data: file.slices[0]!.data.slice() }
    bad.data[0] = (bad.data[0]! + 1) & 0xff
    await expect(store.put(bad)).rejects.toMatchObject({ name: 'SliceHashMismatchError' })
    expect(store.sliceCount).toBe(0)
  })

  it('enforces the disk budget with StoreFullError', async () => {
    const store = await openDiskSliceStore({ dir: await fresh(), logger: quietLogger, maxBytes: 250_000 })
    const file = await makeFile(300_000, 100_000)
    await store.put(file.slices[0]!)
    await store.put(file.slices[1]!)
    await expect(store.put(file.slices[2]!)).rejects.toMatchObject({ name: 'StoreFullError' })
    expect(store.usedBytes).toBeLessThanOrEqual(250_000)
  })

  it('a slice corrupted on disk is never served and is removed', async () => {
    const dir = await fresh()
    const store = await openDiskSliceStore({ dir, logger: quietLogger })
    const file = await makeFile(60_000, 60_000)
    const s = file.slices[0]!
    await store.put(s)
    const path = join(dir, 'slices', s.hash.slice(-2), `${s.hash}.slice`)
    const raw = await readFile(path)
    raw[raw.length - 1] = (raw[raw.length - 1] as number) ^ 0xff
    await writeFile(path, raw)
    expect(await store.get(s.hash)).toBeUndefined()
    expect(await store.has(s.hash)).toBe(false)
  })

  it('removes temp debris and truncated files at open', async () => {
    const dir = await fresh()
    const store = await openDiskSliceStore({ dir, logger: quietLogger })
    const file = await makeFile(60_000, 30_000)
    await store.put(file.slices[0]!)
    await store.put(file.slices[1]!)
    await writeFile(join(dir, 'tmp', 'deadbeef.tmp'), 'half a slice')
    const p1 = join(dir, 'slices', file.slices[1]!.hash.slice(-2), `${file.slices[1]!.hash}.slice`)
    const raw = await readFile(p1)
    await writeFile(p1, raw.subarray(0, raw.length - 10))
    const reopened = await openDiskSliceStore({ dir, logger: quietLogger })
    expect(await readdir(join(dir, 'tmp'))).toEqual([])
    expect(reopened.sliceCount).toBe(1)
    expect(await reopened.has(file.slices[1]!.hash)).toBe(false)
    expect(await reopened.get(file.slices[0]!.hash)).toBeDefined()
  })

  it('stores manifests only when they verify', async () => {
    const store = await openDiskSliceStore({ dir: await fresh(), logger: quietLogger })
    const file = await makeFile(10_000, 16_384)
    expect(await store.putManifest(file.manifestBytes)).toBe(file.manifest.fileHash)
    expect(sameBytes((await store.getManifest(file.manifest.fileHash))!, file.manifestBytes)).toBe(true)
    const tampered = file.manifestBytes.slice()
    tampered[tampered.length - 5] = (tampered[tampered.length - 5] as number) ^ 1
    await expect(store.putManifest(tampered)).rejects.toThrow()
  })
})
