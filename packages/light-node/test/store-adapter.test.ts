import { computeFileHash, computeSliceHash, type FileHash, type SliceHash } from '@stratos-edge/core'
import { IDBFactory } from 'fake-indexeddb'
import 'fake-indexeddb/auto'
import { describe, expect, it } from 'vitest'
import { createStoreAdapter } from '../src/node/store-adapter.js'
import { createIdbSliceStore } from '../src/store/idb-slice-store.js'

const fileHash = computeFileHash(new TextEncoder().encode('store adapter test')) as FileHash

/** A store in its own fake IndexedDB, with no quota to ask. */
const openStore = (name: string) =>
  createIdbSliceStore({ name }, { indexedDB: new IDBFactory(), estimate: async () => undefined })

describe('createStoreAdapter', () => {
  it('refuses a pushed slice that does not match its hash with SliceVerificationError, and keeps a good one', async () => {
    const store = await openStore('adapter')
    const adapter = createStoreAdapter(store)
    const data = new Uint8Array(1000).map((_, i) => i & 0xff)
    const hash = computeSliceHash(1, data, fileHash) as SliceHash
    const wrong = data.map((b, i) => (i === 3 ? b ^ 1 : b))
    await expect(adapter.put({ hash, fileHash, number: 1, data: wrong })).rejects.toMatchObject({
      name: 'SliceVerificationError',
    })
    expect(await store.has(hash)).toBe(false)
    await adapter.put({ hash, fileHash, number: 1, data })
    expect(await store.get(hash)).toEqual(data)
  })

  it('serves a slice to a fetcher that verifies it (reverify: false) hashing it only the first time', async () => {
    const store = await openStore('adapter-reverify')
    let hashed = 0
    const hashOf = store.hashOf.bind(store)
    store.hashOf = (...args) => {
      hashed++
      return hashOf(...args)
    }
    const adapter = createStoreAdapter(store)
    const data = new Uint8Array(1000).map((_, i) => (i * 7) & 0xff)
    const hash = computeSliceHash(1, data, fileHash) as SliceHash
    await store.putMany([{ hash, fileHash, number: 1, data, pinned: false }])
    for (let i = 0; i < 3; i++) expect((await adapter.get(hash, { reverify: false }))?.data).toEqual(data)
    expect(hashed).toBe(1)
    // Without the option every read is verified.
    await adapter.get(hash)
    await adapter.get(hash)
    expect(hashed).toBe(3)
  })

  it("serves a slice's record with one read of the store; a missing or corrupt slice is undefined", async () => {
    const store = await openStore('adapter-one-read')
    let metaReads = 0
    const meta = store.meta.bind(store)
    store.meta = (hash) => {
      metaReads++
      return meta(hash)
    }
    const adapter = createStoreAdapter(store)
    const data = new Uint8Array(1000).map((_, i) => (i * 11) & 0xff)
    const hash = computeSliceHash(2, data, fileHash) as SliceHash
    const corrupt = computeSliceHash(3, data, fileHash) as SliceHash
    await store.putMany([
      { hash, fileHash, number: 2, data, pinned: false },
      { hash: corrupt, fileHash, number: 3, data: data.map((b) => b ^ 1), pinned: false },
    ])
    expect(await adapter.get(hash)).toEqual({ hash, fileHash, number: 2, data })
    expect(metaReads).toBe(0) // the record comes with the bytes, in the same transaction
    expect(await adapter.get(computeSliceHash(9, data, fileHash) as SliceHash)).toBeUndefined()
    expect(await adapter.get(corrupt)).toBeUndefined()
    expect(await store.has(corrupt)).toBe(false) // deleted as corrupt
  })
})
