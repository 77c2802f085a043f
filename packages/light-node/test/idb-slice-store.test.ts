// Over 400 lines: the store facade's behaviour end to end (budget, batching, eviction, recovery, verified reads) on one fake IndexedDB.
import { computeFileHash, computeSliceHash, type FileHash, type SliceHash } from '@stratos-edge/core'
import { IDBObjectStore as FDBObjectStore, IDBFactory } from 'fake-indexeddb'
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

  it('hashes a slice again for a reader that verifies it anyway (reverify: false) only until a read has verified it since the store opened', async () => {
    const indexedDB = new IDBFactory()
    const options = { indexedDB, estimate: async () => undefined }
    const store = await createIdbSliceStore({ name: 'reverify' }, options)
    const countHashes = (s: typeof store) => {
      const counted = { n: 0 }
      const hashOf = s.hashOf.bind(s)
      s.hashOf = (...args) => {
        counted.n++
        return hashOf(...args)
      }
      return counted
    }
    const hashed = countHashes(store)
    const good = slice(1, 800, false)
    await store.putMany([good])
    // Written is not verified: the first such read hashes, the next does not.
    expect(await store.get(good.hash, { reverify: false })).toEqual(good.data)
    expect(await store.get(good.hash, { reverify: false })).toEqual(good.data)
    expect(hashed.n).toBe(1)
    // A reader that does not verify (the page's own read) always gets verified bytes.
    await store.get(good.hash)
    expect(hashed.n).toBe(2)
    // Bytes written again under the hash lose the mark: corrupt ones are caught, not served.
    const flipped = good.data.slice()
    flipped[5] = (flipped[5] as number) ^ 1
    await store.putMany([{ ...good, data: flipped }])
    await expect(store.get(good.hash, { reverify: false })).rejects.toMatchObject({
      name: 'SliceVerificationError',
    })
    expect(await store.has(good.hash)).toBe(false)
    // A store opened again has verified nothing yet.
    const other = slice(2, 800, false)
    await store.putMany([other])
    await store.get(other.hash, { reverify: false })
    await store.close()
    const reopened = await createIdbSliceStore({ name: 'reverify' }, options)
    const rehashed = countHashes(reopened)
    expect(await reopened.get(other.hash, { reverify: false })).toEqual(other.data)
    expect(rehashed.n).toBe(1)
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

  it('keeps a budget set with setBudget across reopen, over the default it is opened with', async () => {
    const indexedDB = new IDBFactory()
    const components = { indexedDB, estimate: async () => undefined }
    const first = await createIdbSliceStore({ name: 'budget', budgetBytes: 10_000 }, components)
    await first.put(slice(1, 3000, true))
    await first.flush()
    // Never below what is owned.
    expect(await first.setBudget(1000)).toBe(3000)
    expect(await first.setBudget(5 * 1024 ** 3)).toBe(5 * 1024 ** 3)
    await first.close()
    const second = await createIdbSliceStore({ name: 'budget', budgetBytes: 10_000 }, components)
    expect(second.stat().budgetBytes).toBe(5 * 1024 ** 3)
    // A store never given a budget keeps the one it is opened with.
    const other = await createIdbSliceStore({ name: 'other', budgetBytes: 10_000 }, components)
    expect(other.stat().budgetBytes).toBe(10_000)
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

  describe('failed and partial writes', () => {
    it('keeps working after a batch fails, and reports that failure once from flush()', async () => {
      const { store } = await open({ budgetBytes: 3000, batchBytes: 500 })
      await store.putMany([slice(1, 2500, true)])
      // An owned slice over the budget: its batch fails in the background.
      await store.put(slice(2, 1000, true))
      // Later work goes on: the user can free space and write again.
      await store.dropFile(fileHash, { includePinned: true })
      const later = slice(3, 600, true)
      await store.put(later)
      await expect(store.flush()).rejects.toMatchObject({ name: 'StorageQuotaError' })
      await store.flush()
      expect(await store.has(later.hash)).toBe(true)
      expect(await store.has(slice(2, 1000, true).hash)).toBe(false)
      expect(store.stat()).toMatchObject({ pinnedBytes: 600, slices: 1 })
    })

    it("leaves out a cached slice that does not fit, and still stores the batch's owned slices", async () => {
      const { store } = await open({ budgetBytes: 3000, batchBytes: 1 << 20 })
      await store.putMany([slice(1, 2500, true)])
      const owned = slice(2, 400, true)
      const cached = slice(3, 1000, false)
      await store.put(owned)
      await store.put(cached)
      await store.flush()
      expect(await store.has(owned.hash)).toBe(true)
      expect(await store.has(cached.hash)).toBe(false)
      expect(store.stat()).toMatchObject({ pinnedBytes: 2900, cachedBytes: 0, slices: 2 })
    })

    it('stores and counts a slice queued twice in one batch once', async () => {
      const { store } = await open()
      const s1 = slice(1, 1000, false)
      await store.put(s1)
      await store.put({ ...s1, data: s1.data.slice(), pinned: true })
      await store.flush()
      expect(await store.listSlices()).toEqual([s1.hash])
      expect(store.stat()).toMatchObject({ slices: 1, pinnedBytes: 1000, cachedBytes: 0 })
    })

    it('counts nothing of a transaction the browser aborted (the evictions in it included)', async () => {
      const { store } = await open({ budgetBytes: 3000 })
      for (const n of [1, 2, 3]) await store.putMany([slice(n, 1000, false)])
      const put = FDBObjectStore.prototype.put
      FDBObjectStore.prototype.put = function (this: IDBObjectStore, ...args: Parameters<typeof put>) {
        const request = put.apply(this, args)
        // As Chromium does when a write meets the quota: the transaction is aborted.
        if (this.name === 'data') queueMicrotask(() => this.transaction.abort())
        return request
      }
      try {
        await expect(store.putMany([slice(4, 1000, false)])).rejects.toBeDefined()
      } finally {
        FDBObjectStore.prototype.put = put
      }
      expect(await store.listSlices()).toHaveLength(3)
      expect(store.stat()).toMatchObject({ slices: 3, cachedBytes: 3000, evictedSlices: 0 })
    })

    it('turns a QuotaExceededError of the browser into StorageQuotaError, writing nothing', async () => {
      const { store } = await open()
      const put = FDBObjectStore.prototype.put
      FDBObjectStore.prototype.put = function (this: IDBObjectStore, ...args: Parameters<typeof put>) {
        if (this.name === 'data') throw new DOMException('quota', 'QuotaExceededError')
        return put.apply(this, args)
      }
      try {
        await expect(store.putMany([slice(1, 1000, true)])).rejects.toMatchObject({
          name: 'StorageQuotaError',
        })
      } finally {
        FDBObjectStore.prototype.put = put
      }
      expect(await store.listSlices()).toEqual([])
      expect(store.stat()).toMatchObject({ slices: 0, pinnedBytes: 0 })
    })

    it('evicts cached slices to stay under the browser quota, not only under the budget', async () => {
      let usage = 0
      const quota = 8 * 1024 * 1024 + 3000 // 3000 bytes above the store's safety margin
      const { store } = await open({}, async () => ({ usage, quota }))
      for (const n of [1, 2]) {
        await store.putMany([slice(n, 1000, false)])
        usage += 1000
      }
      const owned = slice(3, 2500, true)
      await store.putMany([owned])
      expect(await store.has(owned.hash)).toBe(true)
      expect(store.stat()).toMatchObject({ pinnedBytes: 2500, cachedBytes: 0, evictedSlices: 2 })
    })

    it('runs putMany in line with queued batches, so together they never exceed the budget', async () => {
      const { store } = await open({ budgetBytes: 3000, batchBytes: 500 })
      await store.putMany([slice(1, 1000, false), slice(2, 1000, false)])
      const many = store.putMany([slice(3, 1000, false)])
      await store.put(slice(4, 1000, false)) // a full batch: committed at once
      await many
      await store.flush()
      const held = await store.listSlices()
      expect(held).toHaveLength(3)
      expect(store.stat()).toMatchObject({ slices: 3, cachedBytes: 3000 })
    })

    it('lets slices already held be stored again without room for them (a re-upload, a second download)', async () => {
      const { store } = await open({ budgetBytes: 2000 })
      const owned = [slice(1, 1000, true), slice(2, 1000, true)]
      await store.putMany(owned)
      await store.putMany(owned)
      const cached = slice(3, 500, false)
      await store.dropFile(fileHash, { includePinned: true })
      await store.putMany([cached, slice(4, 1500, false)])
      await store.putMany([cached]) // evicts nothing to make room for itself
      expect(store.stat()).toMatchObject({ slices: 2, cachedBytes: 2000, evictedSlices: 0 })
    })

    it('does not mark a file complete that was dropped meanwhile, or whose owned slices are only cached', async () => {
      const { store } = await open()
      const s1 = slice(1, 1000, true)
      const record = { ...writingFile(1000), slices: [{ number: 1, size: 1000, hash: s1.hash }] }
      await store.putFile(record)
      await store.put(s1)
      await store.dropFile(fileHash, { includePinned: true })
      await expect(store.completeFile(fileHash)).rejects.toMatchObject({ name: 'SliceNotFoundError' })
      await store.putFile(record)
      await store.putMany([{ ...s1, pinned: false }])
      await expect(store.completeFile(fileHash)).rejects.toMatchObject({ name: 'SliceNotFoundError' })
      await store.putMany([s1])
      await store.completeFile(fileHash)
      expect((await store.getFile(fileHash))?.state).toBe('complete')
    })

    it('does not mark a file complete when one of its slices was lost to a failed batch', async () => {
      const { store } = await open({ budgetBytes: 1500, batchBytes: 500 })
      const s1 = slice(1, 1000, true)
      const s2 = slice(2, 1000, true)
      await store.putFile({
        ...writingFile(2000),
        slices: [s1, s2].map((s) => ({ number: s.number, size: 1000, hash: s.hash })),
      })
      await store.put(s1)
      await store.put(s2) // over the budget: this batch fails
      // Another caller's flush() is told of the failure first.
      await store.flush().catch(() => {})
      await expect(store.completeFile(fileHash)).rejects.toMatchObject({ name: 'SliceNotFoundError' })
      expect((await store.getFile(fileHash))?.state).toBe('writing')
    })
  })
})
