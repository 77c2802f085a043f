/**
 * A light node takes pushed slices only after `contribute`, and only within the contribution: two real
 * libp2p nodes over WebSockets; the receiver serves the slice protocols as the light node's runtime does
 * (its IndexedDB store, in fake-indexeddb, behind the store adapter, with the push admission), the other
 * pushes. The pusher gets typed errors over the wire and nothing is stored.
 */
import type { Libp2p } from '@libp2p/interface'
import { computeFileHash, computeSliceHash, type FileHash, type SliceHash } from '@stratos-edge/core'
import {
  pushSlice,
  registerSliceProtocols,
  SLICE_FETCH_PROTOCOL,
  SLICE_PUSH_PROTOCOL,
  type SliceRecord,
} from '@stratos-edge/protocol'
import { IDBFactory } from 'fake-indexeddb'
import 'fake-indexeddb/auto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPushAdmission } from '../src/node/push-admission.js'
import { createStoreAdapter } from '../src/node/store-adapter.js'
import { createIdbSliceStore, type IdbSliceStore } from '../src/store/idb-slice-store.js'
import { createWsLibp2p } from './support/ws-libp2p.js'

const SLICE = 64 * 1024
const fileHash = computeFileHash(new TextEncoder().encode('push admission test')) as FileHash
const slices: SliceRecord[] = [1, 2, 3].map((number) => {
  const data = new Uint8Array(SLICE).map((_, i) => (i * number + 7) & 0xff)
  return { hash: computeSliceHash(number, data, fileHash) as SliceHash, fileHash, number, data }
})
const indexedDB = new IDBFactory()

async function caught(p: Promise<unknown>): Promise<Error> {
  try {
    await p
  } catch (err) {
    return err as Error
  }
  throw new Error('expected a rejection')
}

describe('a light node accepts pushes only after contribute, within the contribution', () => {
  let receiver: Libp2p
  let pusher: Libp2p
  let store: IdbSliceStore

  /** Serves the slice protocols from `store` on the receiver, as the runtime does. */
  async function serve(from: IdbSliceStore): Promise<void> {
    await receiver.unhandle([SLICE_FETCH_PROTOCOL, SLICE_PUSH_PROTOCOL])
    const admission = createPushAdmission({ store: from })
    await registerSliceProtocols(receiver, {
      store: createStoreAdapter(from),
      admitPush: (header) => admission.admit(header),
    })
  }

  const push = (slice: SliceRecord) => pushSlice(pusher, receiver.getMultiaddrs()[0]!, slice)

  beforeAll(async () => {
    receiver = await createWsLibp2p({ listen: ['/ip4/127.0.0.1/tcp/0/ws'] })
    pusher = await createWsLibp2p()
    store = await createIdbSliceStore(
      { name: 'push-admission' },
      { indexedDB, estimate: async () => undefined },
    )
    await serve(store)
  })

  afterAll(async () => {
    await pusher?.stop()
    await receiver?.stop()
    await store?.close()
  })

  it('refuses a push before contribute with UnsupportedOperationError, storing nothing', async () => {
    const err = await caught(push(slices[0]!))
    expect(err.name).toBe('UnsupportedOperationError')
    expect(err.message).toContain('contributes no storage')
    expect(await store.has(slices[0]!.hash)).toBe(false)
    expect(store.stat().slices).toBe(0)
  })

  it('after contribute, takes slices up to the contribution, then refuses with StoreFullError', async () => {
    await store.setBudget(2 * SLICE + 1000)
    await push(slices[0]!)
    await push(slices[1]!)
    expect(await store.has(slices[0]!.hash)).toBe(true)
    expect(await store.has(slices[1]!.hash)).toBe(true)
    const err = await caught(push(slices[2]!))
    expect(err.name).toBe('StoreFullError')
    expect(err.message).toContain(`1000 of the ${2 * SLICE + 1000} contributed bytes are free`)
    expect(await store.has(slices[2]!.hash)).toBe(false)
    // The earlier slices were not evicted to make room.
    expect(await store.has(slices[0]!.hash)).toBe(true)
    expect(store.stat().cachedBytes).toBe(2 * SLICE)
  })

  it('the contribution outlives a reload; contributing 0 bytes stops the pushes', async () => {
    await store.setBudget(4 * SLICE)
    await store.close()
    store = await createIdbSliceStore(
      { name: 'push-admission' },
      { indexedDB, estimate: async () => undefined },
    )
    await serve(store)
    expect(store.budgetChosenByUser).toBe(true)
    await push(slices[2]!)
    expect(await store.has(slices[2]!.hash)).toBe(true)

    await store.setBudget(0)
    const err = await caught(push(slices[2]!))
    expect(err.name).toBe('UnsupportedOperationError')
  })
})
