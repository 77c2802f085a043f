import { computeFileHash, computeSliceHash, type FileHash, type SliceHash } from '@stratos-edge/core'
import { IDBFactory } from 'fake-indexeddb'
import 'fake-indexeddb/auto'
import { describe, expect, it } from 'vitest'
import { createStoreAdapter } from '../src/node/store-adapter.js'
import { createIdbSliceStore } from '../src/store/idb-slice-store.js'

const fileHash = computeFileHash(new TextEncoder().encode('store adapter test')) as FileHash

describe('createStoreAdapter', () => {
  it('refuses a pushed slice that does not match its hash with SliceVerificationError, and keeps a good one', async () => {
    const store = await createIdbSliceStore(
      { name: 'adapter' },
      { indexedDB: new IDBFactory(), estimate: async () => undefined },
    )
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
    const store = await createIdbSliceStore(
      { name: 'adapter-reverify' },
      { indexedDB: new IDBFactory(), estimate: async () => undefined },
    )
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
})
