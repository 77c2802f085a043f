import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import type { Connection } from '@libp2p/interface'
import { streamPair } from '@libp2p/utils'
import {
  computeFileHash,
  computeSliceHash,
  type FileHash,
  type Manifest,
  type SliceHash,
} from '@stratos-edge/core'
import { createSliceService, type SliceRecord, type SliceStore } from '@stratos-edge/protocol'
import { IDBFactory } from 'fake-indexeddb'
import 'fake-indexeddb/auto'
import { describe, expect, it } from 'vitest'
import { StorageQuotaError } from '../src/errors.js'
import type { ProviderInfo } from '../src/node/network-index.js'
import { SliceDownload } from '../src/node/read/slice-download.js'
import { createIdbSliceStore, type IdbSliceStore } from '../src/store/idb-slice-store.js'

const SIZE = 64 * 1024
const fileHash = computeFileHash(new TextEncoder().encode('slice download test')) as FileHash
const slices = [1, 2, 3, 4].map((number) => {
  const data = crypto.getRandomValues(new Uint8Array(SIZE))
  return { number, data, hash: computeSliceHash(number, data, fileHash) as SliceHash, fileHash }
})
const manifest = {
  fileHash,
  size: SIZE * slices.length,
  sliceSize: SIZE,
  slices: slices.map((s) => ({ number: s.number, size: SIZE, hash: s.hash })),
} as unknown as Manifest

type Behaviour = 'good' | 'corrupt' | 'silent'

/** A provider served by the real slice service over an in-memory libp2p stream pair. */
function provider(behaviour: Behaviour): SliceStore {
  return {
    has: async () => true,
    info: async () => undefined,
    put: async () => false,
    delete: async () => false,
    async get(hash): Promise<SliceRecord | undefined> {
      const s = slices.find((x) => x.hash === hash)
      if (!s) return undefined
      if (behaviour === 'silent') await new Promise(() => {})
      const data = behaviour === 'corrupt' ? s.data.map((b, i) => (i === 7 ? b ^ 1 : b)) : s.data
      return { ...s, data }
    },
  }
}

function fakeConnection(peerId: string, behaviour: Behaviour): Connection {
  const service = createSliceService({ store: provider(behaviour) })
  const remotePeer = { toString: () => peerId } as unknown as Connection['remotePeer']
  return {
    remotePeer,
    async newStream() {
      const [local, remote] = await streamPair()
      void service.handleFetch(remote, { remotePeer })
      return local
    },
  } as unknown as Connection
}

/** The store with some of its methods replaced (a failing cache write). */
function withStore(
  store: IdbSliceStore,
  methods: Partial<Pick<IdbSliceStore, 'put' | 'flush'>>,
): IdbSliceStore {
  return new Proxy(store, {
    get(target, key) {
      const own = methods[key as keyof typeof methods]
      if (own) return own
      const v = Reflect.get(target, key, target)
      return typeof v === 'function' ? v.bind(target) : v
    },
  })
}

async function run(
  providers: Record<string, Behaviour>,
  methods: Partial<Pick<IdbSliceStore, 'put' | 'flush'>> = {},
  budgetBytes?: number,
) {
  const store = await createIdbSliceStore(
    { name: `dl-${Math.random()}`, ...(budgetBytes ? { budgetBytes } : {}) },
    { indexedDB: new IDBFactory(), estimate: async () => undefined },
  )
  const infos: ProviderInfo[] = Object.keys(providers).map((peerId) => ({
    peerId,
    multiaddrs: [],
    kind: 'light',
  }))
  const conns = new Map(Object.entries(providers).map(([id, b]) => [id, fakeConnection(id, b)]))
  const dropped: { peerId: string; reason: string }[] = []
  const fetched: string[] = []
  const completed: string[] = []
  const download = new SliceDownload({
    manifest,
    store: withStore(store, methods),
    signal: new AbortController().signal,
    parallelism: 2,
    stallTimeoutMs: 300,
    providers: async (hashes) => new Map(hashes.map((h) => [h, infos])),
    connect: async (p) => conns.get(p.peerId) as Connection,
    onDropped: (peerId, reason) => dropped.push({ peerId, reason }),
    onFetched: (_hash, _bytes, p) => fetched.push(p.peerId),
    onComplete: (hashes) => completed.push(...hashes),
  })
  download.start()
  const parts: Uint8Array[] = []
  for (;;) {
    const chunk = await download.next()
    if (!chunk) break
    parts.push(chunk)
  }
  return { parts, dropped, fetched, completed, store }
}

describe('SliceDownload', () => {
  it('drops a provider that serves a wrong slice and gets every slice right from another', async () => {
    const { parts, dropped, fetched } = await run({ bad: 'corrupt', good: 'good' })
    expect(parts.map((p) => Buffer.from(p).toString('hex'))).toEqual(
      slices.map((s) => Buffer.from(s.data).toString('hex')),
    )
    expect(dropped.some((d) => d.peerId === 'bad' && /SliceHashMismatchError/.test(d.reason))).toBe(true)
    expect(fetched.every((p) => p === 'good')).toBe(true)
  })

  it('drops a provider that stalls and fetches its slices elsewhere', async () => {
    const { parts, dropped, fetched, store } = await run({ slow: 'silent', good: 'good' })
    expect(parts).toHaveLength(4)
    expect(dropped.map((d) => d.peerId)).toContain('slow')
    expect(fetched.every((p) => p === 'good')).toBe(true)
    await store.flush()
    expect(store.stat()).toMatchObject({ slices: 4, cachedBytes: 4 * SIZE, pinnedBytes: 0 })
  })

  it('fails with NoProviderError when no provider delivers', async () => {
    await expect(run({ bad: 'corrupt' })).rejects.toMatchObject({ name: 'NoProviderError' })
  })

  it('delivers every slice and keeps its provider when caching a slice fails', async () => {
    const full = new StorageQuotaError('Storing would exceed the budget')
    const { parts, dropped, fetched, completed, store } = await run(
      { good: 'good' },
      { put: () => Promise.reject(full) },
    )
    expect(parts.map((p) => Buffer.from(p).toString('hex'))).toEqual(
      slices.map((s) => Buffer.from(s.data).toString('hex')),
    )
    expect(dropped).toEqual([])
    expect(fetched).toEqual(['good', 'good', 'good', 'good'])
    // Nothing was cached, so nothing is announced.
    expect(completed).toEqual([])
    expect(store.stat()).toMatchObject({ slices: 0 })
  })

  it('ends a download whose bytes were all delivered although the last cache write failed', async () => {
    const { parts, completed, store } = await run(
      { good: 'good' },
      { flush: () => Promise.reject(new StorageQuotaError('A batch did not fit')) },
    )
    expect(parts).toHaveLength(4)
    // Only what the store holds is announced.
    const held = []
    for (const s of slices) if (await store.has(s.hash)) held.push(s.hash)
    expect(completed.sort()).toEqual(held.sort())
  })

  it('announces only the slices the store kept when the cache could not take them all', async () => {
    const { parts, completed, store } = await run({ good: 'good' }, {}, 2 * SIZE)
    expect(parts).toHaveLength(4)
    const held = []
    for (const s of slices) if (await store.has(s.hash)) held.push(s.hash)
    expect(held.length).toBeLessThan(4)
    expect(completed.sort()).toEqual(held.sort())
  })

  it('races a browser that cannot connect against a resource node, and leaves it out while it dials', async () => {
    const store = await createIdbSliceStore(
      { name: `dl-${Math.random()}` },
      { indexedDB: new IDBFactory(), estimate: async () => undefined },
    )
    const browser: ProviderInfo = { peerId: 'browser', multiaddrs: [], kind: 'light' }
    const node: ProviderInfo = { peerId: 'node', multiaddrs: [], kind: 'resource' }
    const good = fakeConnection('node', 'good')
    const dials: string[] = []
    const fetched: string[] = []
    const download = new SliceDownload({
      manifest,
      store,
      signal: new AbortController().signal,
      parallelism: 2,
      hedgeDelayMs: 200,
      providers: async (hashes) => new Map(hashes.map((h) => [h, [node, browser]])),
      // The browser's WebRTC dial never completes (NAT without TURN); it ends only when called off.
      connect: (p, signal) => {
        dials.push(p.peerId)
        if (p.kind === 'resource') return Promise.resolve(good)
        return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)))
      },
      onFetched: (_hash, _bytes, p) => fetched.push(p.peerId),
    })
    const started = performance.now()
    download.start()
    const parts: Uint8Array[] = []
    for (let chunk = await download.next(); chunk; chunk = await download.next()) parts.push(chunk)
    const took = performance.now() - started
    expect(parts.map((p) => Buffer.from(p).toString('hex'))).toEqual(
      slices.map((s) => Buffer.from(s.data).toString('hex')),
    )
    expect(fetched).toEqual(['node', 'node', 'node', 'node'])
    // Tried first (browsers first) by each parallel fetch, then left out while its dial goes on: once more,
    // held by the download.
    expect(dials.filter((d) => d === 'browser').length).toBeLessThanOrEqual(3)
    expect(took).toBeLessThan(2000)
  })

  it('closes only the connection that failed to open a stream when it redials', async () => {
    const store = await createIdbSliceStore(
      { name: `dl-${Math.random()}` },
      { indexedDB: new IDBFactory(), estimate: async () => undefined },
    )
    const node: ProviderInfo = { peerId: 'node', multiaddrs: [], kind: 'resource' }
    // Its first connection fails to open a stream (its remote reloaded); the redial gets a good one.
    const broken = {
      remotePeer: { toString: () => 'node' },
      newStream: () => Promise.reject(new Error('Connection closed')),
    } as unknown as Connection
    const good = fakeConnection('node', 'good')
    const failedArgs: unknown[] = []
    const download = new SliceDownload({
      manifest,
      store,
      signal: new AbortController().signal,
      parallelism: 1,
      providers: async (hashes) => new Map(hashes.map((h) => [h, [node]])),
      connect: async (_p, _signal, failed) => {
        if (failed !== undefined) failedArgs.push(failed)
        return failed || failedArgs.length > 0 ? good : broken
      },
    })
    download.start()
    const parts: Uint8Array[] = []
    for (let chunk = await download.next(); chunk; chunk = await download.next()) parts.push(chunk)
    expect(parts).toHaveLength(4)
    expect(failedArgs).toEqual([broken])
  })

  it('closes no connection when a stream open is aborted (the download was cancelled)', async () => {
    const store = await createIdbSliceStore(
      { name: `dl-${Math.random()}` },
      { indexedDB: new IDBFactory(), estimate: async () => undefined },
    )
    const node: ProviderInfo = { peerId: 'node', multiaddrs: [], kind: 'resource' }
    let opening = (): void => {}
    const opened = new Promise<void>((resolve) => {
      opening = resolve
    })
    // A stream open that waits (a busy resource node) until it is aborted.
    const busy = {
      remotePeer: { toString: () => 'node' },
      newStream: (_p: string, o: { signal: AbortSignal }) => {
        opening()
        return new Promise((_, reject) => o.signal.addEventListener('abort', () => reject(o.signal.reason)))
      },
    } as unknown as Connection
    const calls: unknown[] = []
    const cancel = new AbortController()
    const download = new SliceDownload({
      manifest,
      store,
      signal: cancel.signal,
      parallelism: 1,
      providers: async (hashes) => new Map(hashes.map((h) => [h, [node]])),
      connect: async (_p, _signal, failed) => {
        calls.push(failed)
        return busy
      },
    })
    download.start()
    const first = download.next()
    first.catch(() => {})
    await opened
    cancel.abort(new Error('the reader cancelled'))
    await expect(first).rejects.toThrow()
    await new Promise((r) => setTimeout(r, 50))
    expect(calls).toEqual([undefined])
  })

  it('keeps no slice the reader has already taken', async () => {
    setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc') as () => void
    const count = 32
    const big = {
      ...manifest,
      slices: Array.from({ length: count }, (_, i) => ({ number: i + 1, size: SIZE, hash: `h${i}` })),
    } as unknown as Manifest
    // Every slice is in the store: each read gives fresh bytes that only the download and the reader hold.
    const store = {
      has: async () => true,
      get: async () => new Uint8Array(SIZE),
      put: async () => {},
      flush: async () => {},
    } as unknown as IdbSliceStore
    const download = new SliceDownload({
      manifest: big,
      store,
      signal: new AbortController().signal,
      parallelism: 2,
      providers: async () => new Map(),
      connect: async () => {
        throw new Error('no provider needed')
      },
    })
    download.start()
    const taken: WeakRef<Uint8Array>[] = []
    for (let i = 0; i < 24; i++) taken.push(new WeakRef((await download.next()) as Uint8Array))
    // WeakRef targets stay alive until the current job ends.
    await new Promise((resolve) => setTimeout(resolve, 0))
    gc()
    expect(taken.filter((r) => r.deref() !== undefined)).toHaveLength(0)
    download.cancel()
  })
})
