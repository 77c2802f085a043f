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
})
