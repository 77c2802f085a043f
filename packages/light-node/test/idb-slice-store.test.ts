import { computeFileHash, computeSliceHash, type FileHash, type SliceHash } from '@stratos-edge/core'
import { IDBFactory } from 'fake-indexeddb'
import 'fake-indexeddb/auto'
import { describe, expect, it } from 'vitest'
import { createIdbSliceStore, type SliceEntry } from '../src/store/idb-slice-store.js'

const fileHash = computeFileHash(new TextEncoder().encode('light node store test')) as FileHash

function slice(
  number: number,
  size: number,
  pinned: boolean,
): SliceEntry & { data: Uint8Array<ArrayBuffer> } {
  const data = new Uint8Array(size)
  for (let i = 0; i < size; i++) data[i] = (i * 31 + number * 7) & 0xff
  return { hash: computeSliceHash(number, data, fileHash) as SliceHash, fileHash, number, data, pinned }
}

/** The record of an owned file whose upload has started (1000-byte slices), as put() writes it first. */
function writingFile(size: number) {
  return {
    fileHash,
    size,
    sliceSize: 1000,
    slices: [],
    state: 'writing' as const,
    pinned: 1 as const,
    updatedAt: 0,
  }
}

async function open(
  init: Parameters<typeof createIdbSliceStore>[0] = {},
  estimate?: () => Promise<{ usage: number; quota: number }>,
) {
  const indexedDB = new IDBFactory()
  return {
    indexedDB,
    store: await createIdbSliceStore(init, { indexedDB, estimate: estimate ?? (async () => undefined) }),
  }
}

describe('IdbSliceStore', () => {
  it('stores batched slices and reads them back verified', async () => {
    const { store } = await open({ batchBytes: 3000 })
    const entries = [1, 2, 3, 4].map((n) => slice(n, 1000, true))
    for (const e of entries) await store.put(e)
    await store.flush()
    for (const e of entries) expect(await store.get(e.hash)).toEqual(e.data)
    expect(store.stat()).toMatchObject({ pinnedBytes: 4000, cachedBytes: 0, slices: 4 })
  })

  it('stores a slice given as a Blob (a part of an uploaded File) and reads it back as verified bytes', async () => {
    const { store } = await open()
    const bytes = slice(1, 3000, true)
    await store.put({ ...bytes, data: new Blob([bytes.data]) })
    await store.flush()
    expect(await store.get(bytes.hash)).toEqual(bytes.data)
    expect(store.stat()).toMatchObject({ pinnedBytes: 3000, slices: 1 })
    const corrupt = slice(2, 3000, true)
    const flipped = corrupt.data.slice()
    flipped[7] = (flipped[7] as number) ^ 1
    await store.put({ ...corrupt, data: new Blob([flipped]) })
    await store.flush()
    await expect(store.get(corrupt.hash)).rejects.toMatchObject({ name: 'SliceVerificationError' })
  })

  it('detects a corrupt slice on read, deletes it and throws SliceVerificationError', async () => {
    const { store } = await open()
    const good = slice(1, 500, false)
    const bad = { ...slice(2, 500, false) }
    bad.data[10] = (bad.data[10] as number) ^ 1
    await store.putMany([good, bad])
    await expect(store.get(bad.hash)).rejects.toMatchObject({ name: 'SliceVerificationError' })
    expect(await store.has(bad.hash)).toBe(false)
    expect(await store.get(good.hash)).toEqual(good.data)
  })

  it('evicts least recently used cached slices past the budget and never owned ones', async () => {
    let now = 1
    const indexedDB = new IDBFactory()
    const store = await createIdbSliceStore(
      { budgetBytes: 3000 },
      { indexedDB, estimate: async () => undefined, now: () => now++ },
    )
    const owned = slice(1, 1000, true)
    const c1 = slice(2, 1000, false)
    const c2 = slice(3, 1000, false)
    await store.putMany([owned])
    await store.putMany([c1])
    await store.putMany([c2])
    const c3 = slice(4, 1000, false)
    await store.putMany([c3])
    expect(await store.has(owned.hash)).toBe(true)
    expect(await store.has(c1.hash)).toBe(false)
    expect(await store.has(c2.hash)).toBe(true)
    expect(await store.has(c3.hash)).toBe(true)
    expect(store.stat()).toMatchObject({ pinnedBytes: 1000, cachedBytes: 2000, evictedSlices: 1 })
  })

  it('refuses owned data over the budget before writing anything', async () => {
    const { store } = await open({ budgetBytes: 1500 })
    await expect(store.putMany([slice(1, 1000, true), slice(2, 1000, true)])).rejects.toMatchObject({
      name: 'StorageQuotaError',
    })
    expect(store.stat().slices).toBe(0)
    expect(await store.listSlices()).toEqual([])
  })

  it('refuses a write the browser quota cannot take, before writing', async () => {
    const { store } = await open({}, async () => ({ usage: 1000, quota: 8 * 1024 * 1024 + 2000 }))
    await expect(store.putMany([slice(1, 5000, false)])).rejects.toMatchObject({ name: 'StorageQuotaError' })
    expect(await store.listSlices()).toEqual([])
    await store.putMany([slice(2, 500, false)])
    expect(store.stat().slices).toBe(1)
  })

  it('discards a half-written file when it opens again', async () => {
    const indexedDB = new IDBFactory()
    const first = await createIdbSliceStore({ name: 'crash' }, { indexedDB, estimate: async () => undefined })
    await first.putFile(writingFile(3000))
    await first.putMany([slice(1, 1000, true), slice(2, 1000, true)])
    // The tab "crashes": the store is dropped without completing the file.
    await first.close()
    const second = await createIdbSliceStore(
      { name: 'crash' },
      { indexedDB, estimate: async () => undefined },
    )
    expect(second.stat()).toMatchObject({
      slices: 0,
      files: 0,
      pinnedBytes: 0,
      recovered: { files: 1, slices: 2 },
    })
    expect(await second.getFile(fileHash)).toBeUndefined()
  })

  it('keeps a completed file across reopen', async () => {
    const indexedDB = new IDBFactory()
    const first = await createIdbSliceStore({ name: 'done' }, { indexedDB, estimate: async () => undefined })
    const s1 = slice(1, 1000, true)
    await first.putFile(writingFile(1000))
    await first.put(s1)
    await first.completeFile(fileHash)
    await first.close()
    const second = await createIdbSliceStore({ name: 'done' }, { indexedDB, estimate: async () => undefined })
    expect(second.stat()).toMatchObject({ slices: 1, files: 1, recovered: { files: 0, slices: 0 } })
    expect(await second.get(s1.hash)).toEqual(s1.data)
  })

  describe('onSlicesRemoved', () => {
    /** Opens a store whose removals are recorded, with each report checked against the committed state. */
    async function recording(
      init: Parameters<typeof createIdbSliceStore>[0] = {},
      indexedDB = new IDBFactory(),
    ) {
      const reports: string[][] = []
      const stillThere: Promise<boolean>[] = []
      let now = 1
      const store = await createIdbSliceStore(
        {
          ...init,
          onSlicesRemoved: (hashes) => {
            reports.push([...hashes])
            for (const h of hashes) stillThere.push(store.has(h))
          },
        },
        { indexedDB, estimate: async () => undefined, now: () => now++ },
      )
      return { store, reports, stillThere, indexedDB }
    }

    it('reports cached slices evicted past the budget, after the eviction committed', async () => {
      const { store, reports, stillThere } = await recording({ budgetBytes: 3000 })
      const owned = slice(1, 1000, true)
      const c1 = slice(2, 1000, false)
      const c2 = slice(3, 1000, false)
      await store.putMany([owned])
      await store.putMany([c1])
      await store.putMany([c2])
      expect(reports).toEqual([])
      await store.putMany([slice(4, 1000, false), slice(5, 1000, false)])
      expect(reports).toEqual([[c1.hash, c2.hash]])
      expect(await Promise.all(stillThere)).toEqual([false, false])
    })

    it('reports the slices a drop removed, not the owned ones it kept', async () => {
      const { store, reports, stillThere } = await recording()
      const owned = slice(1, 1000, true)
      const cached = slice(2, 1000, false)
      await store.putMany([owned, cached])
      await store.dropFile(fileHash)
      expect(reports).toEqual([[cached.hash]])
      await store.dropFile(fileHash, { includePinned: true })
      expect(reports).toEqual([[cached.hash], [owned.hash]])
      // Nothing is left to drop: nothing is reported.
      await store.dropFile(fileHash, { includePinned: true })
      expect(reports).toHaveLength(2)
      expect(await Promise.all(stillThere)).toEqual([false, false])
    })

    it('reports a slice deleted because it failed verification on read', async () => {
      const { store, reports } = await recording()
      const bad = { ...slice(1, 500, false) }
      bad.data[3] = (bad.data[3] as number) ^ 1
      await store.putMany([bad, slice(2, 500, false)])
      await expect(store.get(bad.hash)).rejects.toMatchObject({ name: 'SliceVerificationError' })
      expect(reports).toEqual([[bad.hash]])
    })

    it('reports a deleted slice once and never one that was not stored', async () => {
      const { store, reports } = await recording()
      const s1 = slice(1, 500, false)
      await store.putMany([s1])
      await store.delete(s1.hash)
      await store.delete(s1.hash)
      await store.delete(slice(2, 500, false).hash)
      expect(reports).toEqual([[s1.hash]])
    })

    it('does not report what a crashed write left behind, discarded at open', async () => {
      const indexedDB = new IDBFactory()
      const first = await createIdbSliceStore(
        { name: 'crash-hook' },
        { indexedDB, estimate: async () => undefined },
      )
      await first.putFile(writingFile(2000))
      await first.putMany([slice(1, 1000, true), slice(2, 1000, true)])
      await first.close()
      const { store, reports } = await recording({ name: 'crash-hook' }, indexedDB)
      expect(store.stat().recovered).toEqual({ files: 1, slices: 2 })
      expect(reports).toEqual([])
    })

    it('keeps working when the listener throws', async () => {
      const store = await createIdbSliceStore(
        {
          onSlicesRemoved: () => {
            throw new Error('listener failed')
          },
        },
        { indexedDB: new IDBFactory(), estimate: async () => undefined },
      )
      const s1 = slice(1, 500, false)
      await store.putMany([s1])
      await store.delete(s1.hash)
      expect(await store.has(s1.hash)).toBe(false)
      expect(store.stat().slices).toBe(0)
    })
  })

  describe('parts staged before their hashes are known', () => {
    /** The keys of the store's `data` object store, read from IndexedDB directly. */
    async function dataKeys(indexedDB: IDBFactory, name: string): Promise<string[]> {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const request = indexedDB.open(name)
        request.onsuccess = () => resolve(request.result)
        request.onerror = () => reject(request.error)
      })
      const keys = await new Promise<IDBValidKey[]>((resolve, reject) => {
        const request = db.transaction('data').objectStore('data').getAllKeys()
        request.onsuccess = () => resolve(request.result)
        request.onerror = () => reject(request.error)
      })
      db.close()
      return keys.map(String).sort()
    }

    async function staging(init: Parameters<typeof createIdbSliceStore>[0] = {}) {
      const indexedDB = new IDBFactory()
      const name = 'staged'
      const store = await createIdbSliceStore(
        { ...init, name },
        { indexedDB, estimate: async () => undefined },
      )
      return { indexedDB, name, store, keys: () => dataKeys(indexedDB, name) }
    }

    it('writes the bytes once: a put of a staged slice only adds its record, and reads verify', async () => {
      const { store, keys } = await staging()
      const s1 = slice(1, 1000, true)
      const s2 = slice(2, 700, true)
      const staged = await store.stageParts([new Blob([s1.data]), new Blob([s2.data])])
      expect(await keys()).toEqual([...staged].sort())
      // Counted against the budget before any slice record exists.
      await expect(store.assertCanStore(Number.MAX_SAFE_INTEGER)).rejects.toBeDefined()
      await store.put({ ...s1, stagedKey: staged[0] as string })
      await store.put({ ...s2, stagedKey: staged[1] as string })
      await store.flush()
      expect(await keys()).toEqual([...staged].sort())
      expect(await store.get(s1.hash)).toEqual(s1.data)
      expect(await store.get(s2.hash)).toEqual(s2.data)
      expect(store.stat()).toMatchObject({ pinnedBytes: 1700, slices: 2 })
      // Nothing left to discard: both parts were adopted.
      await store.discardStaged(staged)
      expect(await store.get(s1.hash)).toEqual(s1.data)
    })

    it('counts staged bytes against the budget, evicting cached slices and refusing owned data', async () => {
      let now = 1
      const indexedDB = new IDBFactory()
      const store = await createIdbSliceStore(
        { budgetBytes: 3000 },
        { indexedDB, estimate: async () => undefined, now: () => now++ },
      )
      const cached = [slice(1, 1000, false), slice(2, 1000, false)]
      for (const c of cached) await store.putMany([c])
      await store.stageParts([new Uint8Array(2000)])
      expect(await store.has((cached[0] as SliceEntry).hash)).toBe(false)
      expect(await store.has((cached[1] as SliceEntry).hash)).toBe(true)
      await expect(store.putMany([slice(3, 1500, true)])).rejects.toMatchObject({ name: 'StorageQuotaError' })
      await expect(store.stageParts([new Uint8Array(1500)])).rejects.toMatchObject({
        name: 'StorageQuotaError',
      })
    })

    it('frees what no slice adopted when discarded, and what a crash left when it opens again', async () => {
      const { indexedDB, name, store, keys } = await staging({ budgetBytes: 4000 })
      const dropped = await store.stageParts([new Uint8Array(1500), new Uint8Array(1500)])
      await store.discardStaged(dropped)
      expect(await keys()).toEqual([])
      await store.putMany([slice(1, 3000, true)])
      // The tab "crashes" with a part staged and never adopted.
      await store.stageParts([new Uint8Array(500)])
      await store.close()
      const again = await createIdbSliceStore({ name }, { indexedDB, estimate: async () => undefined })
      expect(again.stat()).toMatchObject({ slices: 1, pinnedBytes: 3000, recovered: { slices: 1 } })
      expect(await keys()).toEqual([slice(1, 3000, true).hash])
    })

    it('writes the bytes after all when the staged part is gone before its slice is stored', async () => {
      const { store, keys } = await staging()
      const s1 = slice(1, 1000, true)
      const [key] = await store.stageParts([new Blob([s1.data])])
      await store.discardStaged([key as string])
      await store.putMany([{ ...s1, stagedKey: key as string }])
      expect(await keys()).toEqual([s1.hash])
      expect(await store.get(s1.hash)).toEqual(s1.data)
      expect(store.stat()).toMatchObject({ pinnedBytes: 1000, slices: 1 })
    })

    it('replaces the bytes of a slice stored before, deletes staged bytes with their slice, and reopens', async () => {
      const { indexedDB, name, store, keys } = await staging()
      const s1 = slice(1, 1000, false)
      await store.putMany([s1])
      const [key] = await store.stageParts([new Blob([s1.data])])
      await store.putFile(writingFile(1000))
      await store.putMany([{ ...s1, pinned: true, stagedKey: key as string }])
      await store.completeFile(fileHash)
      expect(await keys()).toEqual([key])
      expect(store.stat()).toMatchObject({ pinnedBytes: 1000, cachedBytes: 0, slices: 1 })
      await store.close()
      const again = await createIdbSliceStore({ name }, { indexedDB, estimate: async () => undefined })
      expect(again.stat()).toMatchObject({ slices: 1, pinnedBytes: 1000, recovered: { files: 0, slices: 0 } })
      expect(await again.get(s1.hash)).toEqual(s1.data)
      await again.dropFile(fileHash, { includePinned: true })
      expect(await keys()).toEqual([])
      expect(again.stat()).toMatchObject({ slices: 0, pinnedBytes: 0 })
    })
  })
})
