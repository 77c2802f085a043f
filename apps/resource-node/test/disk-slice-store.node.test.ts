import { readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import {
  addressToBytes,
  computeSliceHash,
  createManifest,
  encodeManifest,
  type KeyPair,
  keyPairFromPrivateKey,
  signManifest,
  sliceFile,
  toHex,
} from '@stratos-edge/core'
import { afterEach, describe, expect, it } from 'vitest'
import { createSliceHashPool, openDiskSliceStore } from '../src/index.js'
import {
  forgeManifestOf,
  makeFile,
  owner,
  quietLogger,
  randomBytes,
  sameBytes,
  stranger,
  tempDir,
} from './helpers.js'

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

  it('put says whether it stored the slice: true once, false when held or stored by a concurrent put', async () => {
    const store = await openDiskSliceStore({ dir: await fresh(), logger: quietLogger })
    const [s] = (await makeFile(50_000, 50_000)).slices
    const results = await Promise.all([store.put(s!), store.put(s!), store.put(s!)])
    expect(results.sort()).toEqual([false, false, true])
    expect(await store.put(s!)).toBe(false)
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

  it('a put whose slice directory was removed from under the store makes it again', async () => {
    const dir = await fresh()
    const store = await openDiskSliceStore({ dir, logger: quietLogger })
    const file = await makeFile(60_000, 60_000)
    const s = file.slices[0]!
    await store.put(s)
    const sliceDir = join(dir, 'slices', s.hash.slice(-2))
    const path = join(sliceDir, `${s.hash}.slice`)
    const raw = await readFile(path)
    raw[raw.length - 1] = (raw[raw.length - 1] as number) ^ 0xff
    await writeFile(path, raw)
    expect(await store.get(s.hash)).toBeUndefined() // removed as corrupt
    await rm(sliceDir, { recursive: true })
    // The store made this directory once already: the put must not count on it still being there.
    expect(await store.put(s)).toBe(true)
    expect(sameBytes((await store.get(s.hash))!.data, s.data)).toBe(true)
  })

  it('a hashing failure on read is an error, not corruption: the slice stays', async () => {
    const dir = await fresh()
    let hashFails = false
    const store = await openDiskSliceStore({
      dir,
      logger: quietLogger,
      hashSlice: async (n, data, fh) => {
        if (hashFails) throw new Error('hash worker exited (1)')
        return computeSliceHash(n, data, fh)
      },
    })
    const file = await makeFile(60_000, 60_000)
    const s = file.slices[0]!
    await store.put(s)
    hashFails = true
    await expect(store.get(s.hash)).rejects.toThrow('hash worker exited')
    await expect(store.verifyAll()).rejects.toThrow('hash worker exited')
    expect(await store.has(s.hash)).toBe(true)
    expect(await readdir(join(dir, 'slices', s.hash.slice(-2)))).toEqual([`${s.hash}.slice`])
    hashFails = false
    expect(sameBytes((await store.get(s.hash))!.data, s.data)).toBe(true)
  })

  it('a closed hash pool fails reads without deleting slices', async () => {
    const dir = await fresh()
    const pool = createSliceHashPool({ size: 1 })
    const store = await openDiskSliceStore({ dir, logger: quietLogger, hashSlice: pool.hashSlice })
    const file = await makeFile(60_000, 60_000)
    const s = file.slices[0]!
    await store.put(s)
    await pool.close()
    await expect(store.get(s.hash)).rejects.toMatchObject({ name: 'HashPoolError' })
    expect(await store.has(s.hash)).toBe(true)
    const reopened = await openDiskSliceStore({ dir, logger: quietLogger })
    expect(sameBytes((await reopened.get(s.hash))!.data, s.data)).toBe(true)
  })

  it('close waits for reads in flight; later reads fail with StoreClosedError and delete nothing', async () => {
    const dir = await fresh()
    let release = (): void => {}
    const gate = new Promise<void>((r) => {
      release = r
    })
    let gated = false
    const store = await openDiskSliceStore({
      dir,
      logger: quietLogger,
      hashSlice: async (n, data, fh) => {
        if (gated) await gate
        return computeSliceHash(n, data, fh)
      },
    })
    const file = await makeFile(60_000, 60_000)
    const s = file.slices[0]!
    await store.put(s)
    gated = true
    const read = store.get(s.hash)
    await new Promise((r) => setTimeout(r, 20)) // the read is hashing
    let closed = false
    const closing = store.close().then(() => {
      closed = true
    })
    await new Promise((r) => setTimeout(r, 50))
    expect(closed).toBe(false) // the hash pool may not be closed yet: a read still needs it
    await expect(store.get(s.hash)).rejects.toMatchObject({ name: 'StoreClosedError' })
    release()
    expect(sameBytes((await read)!.data, s.data)).toBe(true)
    await closing
    expect(await store.has(s.hash)).toBe(true)
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

  it("keeps each owner's manifest of a file: a stranger's, stored first, does not hide the owner's", async () => {
    const dir = await fresh()
    const store = await openDiskSliceStore({ dir, logger: quietLogger })
    const file = await makeFile(40_000, 16_384)
    const forged = forgeManifestOf(file)
    const fileHash = file.manifest.fileHash
    await store.putManifest(forged.manifestBytes)
    // A restart orders owners by the files' times, which the kernel keeps to a few milliseconds.
    await new Promise((r) => setTimeout(r, 20))
    await store.putManifest(file.manifestBytes)
    const reopened = await openDiskSliceStore({ dir, logger: quietLogger })
    for (const s of [store, reopened]) {
      expect(sameBytes((await s.getManifest(fileHash, owner.address))!, file.manifestBytes)).toBe(true)
      expect(sameBytes((await s.getManifest(fileHash, stranger.address))!, forged.manifestBytes)).toBe(true)
      // Without an owner: the first stored (the meta service's resolver chooses among the owners).
      expect(sameBytes((await s.getManifest(fileHash))!, forged.manifestBytes)).toBe(true)
      expect(await s.getManifest(fileHash, `0x${'00'.repeat(20)}`)).toBeUndefined()
      // Who signed one: what the meta service resolves a bare file hash among.
      expect(
        s
          .manifestOwners(fileHash)
          .map((o) => o.toLowerCase())
          .sort(),
      ).toEqual([owner, stranger].map((k) => toHex(addressToBytes(k.address))).sort())
    }
    await store.putManifest(file.manifestBytes) // stored already: not listed twice
    expect(store.manifestOwners(fileHash)).toHaveLength(2)
  })

  it("removes manifest files of the old layout (a copy of the first owner's) at open", async () => {
    const dir = await fresh()
    const store = await openDiskSliceStore({ dir, logger: quietLogger })
    const file = await makeFile(10_000, 16_384)
    await store.putManifest(file.manifestBytes)
    await store.close()
    await writeFile(join(dir, 'manifests', `${file.manifest.fileHash}.manifest`), file.manifestBytes)
    const reopened = await openDiskSliceStore({ dir, logger: quietLogger })
    expect(await readdir(join(dir, 'manifests'))).toHaveLength(1)
    expect(reopened.usedBytes).toBe(file.manifestBytes.length)
    expect(sameBytes((await reopened.getManifest(file.manifest.fileHash))!, file.manifestBytes)).toBe(true)
  })

  it('lists who signed manifests of a file first stored first, also after reopening, and each once', async () => {
    const dir = await fresh()
    const store = await openDiskSliceStore({ dir, logger: quietLogger })
    const sliced = await sliceFile(randomBytes(20_000), { sliceSize: 16_384 })
    const manifestBy = (k: KeyPair) =>
      encodeManifest(signManifest(createManifest({ sliced, owner: k.address }), k.privateKey))
    const listed = (k: KeyPair) => toHex(addressToBytes(k.address))
    // Stored in descending address order: neither the names' order nor a directory's hash order.
    const signers = Array.from({ length: 6 }, (_, i) =>
      keyPairFromPrivateKey(new Uint8Array(32).fill(10 + i)),
    )
    signers.sort((a, b) => (listed(a) < listed(b) ? 1 : -1))
    for (const k of signers) {
      await store.putManifest(manifestBy(k))
      await new Promise((r) => setTimeout(r, 20)) // distinct file times
    }
    const reopened = await openDiskSliceStore({ dir, logger: quietLogger })
    for (const s of [store, reopened]) expect(s.manifestOwners(sliced.fileHash)).toEqual(signers.map(listed))
    // The same manifest stored twice at once: written, counted and listed once.
    const late = keyPairFromPrivateKey(new Uint8Array(32).fill(99))
    const bytes = manifestBy(late)
    const used = reopened.usedBytes
    await Promise.all([reopened.putManifest(bytes), reopened.putManifest(bytes)])
    expect(reopened.manifestOwners(sliced.fileHash)).toEqual([...signers, late].map(listed))
    expect(reopened.usedBytes).toBe(used + bytes.length)
  })

  it('counts manifests against the disk budget, also after reopening', async () => {
    const dir = await fresh()
    const file = await makeFile(40_000, 16_384)
    const forged = forgeManifestOf(file)
    const maxBytes = file.manifestBytes.length + forged.manifestBytes.length
    const store = await openDiskSliceStore({ dir, logger: quietLogger, maxBytes })
    await store.putManifest(file.manifestBytes) // kept once: the owner's
    expect(store.usedBytes).toBe(file.manifestBytes.length)
    const reopened = await openDiskSliceStore({ dir, logger: quietLogger, maxBytes })
    expect(reopened.usedBytes).toBe(file.manifestBytes.length)
    await reopened.putManifest(forged.manifestBytes)
    await expect(reopened.put(file.slices[0]!)).rejects.toMatchObject({ name: 'StoreFullError' })
    const another = forgeManifestOf(await makeFile(40_000, 16_384))
    await expect(reopened.putManifest(another.manifestBytes)).rejects.toMatchObject({
      name: 'StoreFullError',
    })
  })
})
