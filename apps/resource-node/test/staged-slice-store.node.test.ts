import { watch } from 'node:fs'
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { SliceRecord } from '@stratos-edge/protocol'
import { afterEach, describe, expect, it } from 'vitest'
import { createUploadStaging } from '../src/gateway/upload-staging.js'
import { type DiskSliceStore, openDiskSliceStore } from '../src/index.js'
import { makeFile, quietLogger, sameBytes, tempDir, until } from './helpers.js'

describe('staged slice files (written ahead, adopted at commit)', () => {
  const cleanups: Array<() => Promise<void>> = []
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c()
  })
  const open = async (maxBytes?: number): Promise<{ dir: string; store: DiskSliceStore }> => {
    const t = await tempDir('staged')
    const store = await openDiskSliceStore({
      dir: t.dir,
      logger: quietLogger,
      ...(maxBytes !== undefined ? { maxBytes } : {}),
    })
    cleanups.push(async () => {
      await store.close()
      await t.cleanup()
    })
    return { dir: t.dir, store }
  }
  const tmpFiles = (dir: string) => readdir(join(dir, 'tmp'))
  const sliceFile = (dir: string, hash: string) => join(dir, 'slices', hash.slice(-2), `${hash}.slice`)

  it('staged temp files count against the disk budget until adopted or discarded', async () => {
    const file = await makeFile(3 * 256 * 1024, 256 * 1024)
    const [one, two, three] = file.slices as [SliceRecord, SliceRecord, SliceRecord]
    const a = await open(600 * 1024)
    const first = a.store.writeStaged(one.data)
    const second = a.store.writeStaged(two.data)
    expect(await Promise.all([first.written, second.written])).toEqual([true, true])
    expect(a.store.usedBytes).toBeGreaterThan(512 * 1024)
    // A third slice does not fit beside the two staged ones: not written ahead, and a put is refused.
    expect(await a.store.writeStaged(three.data).written).toBe(false)
    await expect(a.store.put(three)).rejects.toMatchObject({ name: 'StoreFullError' })
    // Adopting a staged file counts it once, as the slice file.
    await a.store.put(one, { verified: true, staged: first })
    const afterAdopt = a.store.usedBytes
    expect(afterAdopt).toBeLessThan(600 * 1024)
    await second.discard()
    expect(a.store.usedBytes).toBeLessThan(afterAdopt - 256 * 1024)
    expect(await a.store.put(three)).toBe(true)
    expect(await tmpFiles(a.dir)).toEqual([])
  })

  it('an adopted staged file is the same slice file a put writes; it verifies and survives a reopen', async () => {
    const a = await open()
    const b = await open()
    const file = await makeFile(3 * 1024 * 1024 + 5, 1024 * 1024)
    const staged = file.slices.map((s) => a.store.writeStaged(s.data))
    expect(file.slices).toHaveLength(4)
    expect(await Promise.all(staged.map((f) => f.written))).toEqual([true, true, true, true])
    const names = await tmpFiles(a.dir)
    expect(names).toHaveLength(4)
    const stagedInodes = await Promise.all(names.map(async (n) => (await stat(join(a.dir, 'tmp', n))).ino))
    await Promise.all(file.slices.map((s, i) => a.store.put(s, { verified: true, staged: staged[i]! })))
    for (const s of file.slices) await b.store.put(s)
    expect(await tmpFiles(a.dir)).toEqual([])
    expect(a.store.sliceCount).toBe(4)
    // Adopted, not written again: the slice files are the staged files, renamed.
    const sliceInodes = await Promise.all(
      file.slices.map(async (s) => (await stat(sliceFile(a.dir, s.hash))).ino),
    )
    expect([...sliceInodes].sort()).toEqual([...stagedInodes].sort())
    expect(a.store.usedBytes).toBe(b.store.usedBytes)
    for (const s of file.slices) {
      // Byte for byte the format of a plain put: header in front of the bytes.
      const adopted = await readFile(sliceFile(a.dir, s.hash))
      expect(sameBytes(adopted, await readFile(sliceFile(b.dir, s.hash)))).toBe(true)
    }
    await a.store.close()
    const reopened = await openDiskSliceStore({ dir: a.dir, logger: quietLogger })
    expect(reopened.sliceCount).toBe(4)
    expect((await reopened.verifyAll()).ok).toBe(4)
    for (const s of file.slices) {
      const got = await reopened.get(s.hash)
      expect(got && sameBytes(got.data, s.data)).toBe(true)
    }
  })

  it('an adoption started while the staged write runs waits for it', async () => {
    const { dir, store } = await open()
    const [s] = (await makeFile(4 * 1024 * 1024, 4 * 1024 * 1024)).slices
    // Every name tmp/ sees: a fallback to a full write would show a `.tmp` file there.
    const seen: string[] = []
    const watcher = watch(join(dir, 'tmp'), (_event, name) => name && seen.push(name))
    try {
      await store.put(s!, { verified: true, staged: store.writeStaged(s!.data) })
      // The staged file's creation and its rename out of tmp/ both arrive, in order, after anything else.
      await until(() => seen.filter((n) => n.endsWith('.staged')).length >= 2)
    } finally {
      watcher.close()
    }
    expect(seen.filter((n) => n.endsWith('.tmp'))).toEqual([])
    expect(await tmpFiles(dir)).toEqual([])
    const got = await store.get(s!.hash)
    expect(got && sameBytes(got.data, s!.data)).toBe(true)
  })

  it('writes the bytes in full when the staged write failed (or the file was discarded)', async () => {
    const { dir, store } = await open()
    const [one, two] = (await makeFile(200_000, 100_000)).slices
    // The staged write fails: its temp dir is gone for a moment.
    await rm(join(dir, 'tmp'), { recursive: true })
    const failed = store.writeStaged(one!.data)
    expect(await failed.written).toBe(false)
    await mkdir(join(dir, 'tmp'))
    await store.put(one!, { verified: true, staged: failed })
    const discarded = store.writeStaged(two!.data)
    await discarded.discard()
    await store.put(two!, { verified: true, staged: discarded })
    expect(await tmpFiles(dir)).toEqual([])
    await store.close()
    const reopened = await openDiskSliceStore({ dir, logger: quietLogger })
    expect((await reopened.verifyAll()).ok).toBe(2)
    for (const s of [one!, two!]) {
      const got = await reopened.get(s.hash)
      expect(got && sameBytes(got.data, s.data)).toBe(true)
    }
  })

  it('checks the budget before the final name: StoreFullError, nothing stored, the temp file removed', async () => {
    const { dir, store } = await open(150_000)
    const [one, two] = (await makeFile(200_000, 100_000)).slices
    await store.put(one!, { verified: true, staged: store.writeStaged(one!.data) })
    await expect(
      store.put(two!, { verified: true, staged: store.writeStaged(two!.data) }),
    ).rejects.toMatchObject({ name: 'StoreFullError' })
    expect(await store.has(two!.hash)).toBe(false)
    expect(await readdir(join(dir, 'slices', two!.hash.slice(-2))).catch(() => [])).not.toContain(
      `${two!.hash}.slice`,
    )
    await until(async () => (await tmpFiles(dir)).length === 0)
  })

  it('an unverified adoption still checks the hash; a slice already held only drops the temp file', async () => {
    const { dir, store } = await open()
    const [s] = (await makeFile(100_000, 100_000)).slices
    const bad = { ...s!, data: s!.data.slice() }
    bad.data[7] = (bad.data[7] as number) ^ 1
    await expect(store.put(bad, { staged: store.writeStaged(bad.data) })).rejects.toMatchObject({
      name: 'SliceHashMismatchError',
    })
    expect(await store.has(s!.hash)).toBe(false)
    await store.put(s!, { staged: store.writeStaged(s!.data) })
    await store.put(s!, { verified: true, staged: store.writeStaged(s!.data) })
    expect(store.sliceCount).toBe(1)
    await until(async () => (await tmpFiles(dir)).length === 0)
  })

  it('the staging removes the files of slices it drops: expired, replaced, or at close', async () => {
    const { dir, store } = await open()
    const [one, two] = (await makeFile(200_000, 100_000)).slices
    const writeAhead = (data: Uint8Array) => store.writeStaged(data)
    const digest = new Uint8Array(32)
    // Replaced: the first file goes, the second stays until its upload is taken.
    const staging = createUploadStaging({ writeAhead })
    staging.put('replaced', { number: 1, data: one!.data, innerDigest: digest })
    staging.put('replaced', { number: 1, data: two!.data, innerDigest: digest })
    const [kept] = staging.take('replaced').values()
    expect(sameBytes(kept!.data, two!.data)).toBe(true)
    expect(await kept!.file!.written).toBe(true)
    await until(async () => (await tmpFiles(dir)).length === 1)
    await kept!.file!.discard()
    expect(await tmpFiles(dir)).toEqual([])
    // Expired.
    const expiring = createUploadStaging({ ttlMs: 500, writeAhead })
    expiring.put('expiring', { number: 1, data: one!.data, innerDigest: digest })
    await until(async () => (await tmpFiles(dir)).length === 1)
    await until(async () => (await tmpFiles(dir)).length === 0)
    expect(expiring.stagedBytes).toBe(0)
    // Closed (the store's close waits for the removal).
    staging.put('closing', { number: 2, data: two!.data, innerDigest: digest })
    staging.close()
    await store.close()
    expect(await tmpFiles(dir)).toEqual([])
  })

  it('leftover staged files do not survive a reopen', async () => {
    const { dir, store } = await open()
    const [s] = (await makeFile(100_000, 100_000)).slices
    expect(await store.writeStaged(s!.data).written).toBe(true)
    expect(await tmpFiles(dir)).toHaveLength(1)
    const reopened = await openDiskSliceStore({ dir, logger: quietLogger })
    expect(await tmpFiles(dir)).toEqual([])
    expect(reopened.sliceCount).toBe(0)
  })
})
