/**
 * LightNodeService's uploads and downloads against a real IndexedDB store (fake-indexeddb) with the network edges faked: a
 * stand-in index and no libp2p (every placed node is reached over HTTP, or none is placed).
 */
import type { Libp2p } from '@libp2p/interface'
import {
  CODEC_SDS,
  computeFileHash,
  computeSliceHash,
  createManifest,
  decodeManifest,
  encodeManifest,
  type FileHash,
  formatSdmUri,
  generateKeyPair,
  MIN_SLICE_SIZE,
  type SliceHash,
  signManifest,
  sliceFile,
  toEvmAddress,
} from '@stratos-edge/core'
import { httpUrlToMultiaddr } from '@stratos-edge/protocol'
import { IDBFactory } from 'fake-indexeddb'
import 'fake-indexeddb/auto'
import { describe, expect, it } from 'vitest'
import type { DownloadProgress, LightNodeEvent, PutProgress } from '../src/api-types.js'
import { LightNodeService } from '../src/node/light-node-service.js'
import type { NetworkIndex, ProviderInfo } from '../src/node/network-index.js'
import type { Runtime } from '../src/node/runtime.js'
import { createIdbSliceStore, type IdbSliceStore } from '../src/store/idb-slice-store.js'

const SIZE = 3 * MIN_SLICE_SIZE + 100
const bytes = new Uint8Array(SIZE).map((_, i) => (i * 13 + 5) & 0xff)

/** Every call the index received, by method. */
type IndexCalls = Record<'announce' | 'putManifest', unknown[]>

function fakeIndex(
  placed: ProviderInfo[],
  lookup: NetworkIndex['lookup'] = async () => new Map(),
): { index: NetworkIndex; calls: IndexCalls } {
  const calls: IndexCalls = { announce: [], putManifest: [] }
  const index: NetworkIndex = {
    announce: async (hashes) => void calls.announce.push(hashes),
    withdraw: async () => {},
    lookup,
    place: async () => placed,
    putManifest: async (m) => void calls.putManifest.push(m),
    getManifest: async () => undefined,
  }
  return { index, calls }
}

/** Touching libp2p fails the test: these uploads go over HTTP or nowhere. */
const noLibp2p = new Proxy(
  {},
  {
    get(_, prop) {
      throw new Error(`put used libp2p (${String(prop)})`)
    },
  },
) as unknown as Libp2p

async function openStore(indexedDB: IDBFactory, name: string): Promise<IdbSliceStore> {
  return createIdbSliceStore({ name }, { indexedDB, estimate: async () => undefined })
}

/**
 * A service started on a runtime built of the store, a fake index and a libp2p that fails the test when
 * touched: no network is started.
 */
async function serviceWith(
  store: IdbSliceStore,
  options: { replicas: number; index?: NetworkIndex; onEvent?: (event: LightNodeEvent) => void },
) {
  const runtime: Runtime = {
    peerId: 'self',
    libp2p: noLibp2p,
    store,
    index: options.index,
    owner: generateKeyPair(),
    served: { slices: 0, bytes: 0, rejectedStreams: 0 },
    reachableAddresses: () => [],
    stop: async () => {},
  }
  const service = new LightNodeService({ startRuntime: async () => runtime })
  await service.start(
    { resourceNodes: [], replicas: options.replicas, sliceSize: MIN_SLICE_SIZE },
    options.onEvent,
  )
  return service
}

/** A put that the caller aborts once its slices are being stored. */
function abortedPut(service: LightNodeService, opId: string) {
  return service.put(bytes, {}, opId, (p: PutProgress) => {
    if (p.phase === 'storing') void service.abort(opId)
  })
}

describe('LightNodeService.put', () => {
  it('keeps an owned file complete, with its manifest, when uploading it again fails', async () => {
    const indexedDB = new IDBFactory()
    const store = await openStore(indexedDB, 'reupload')
    const service = await serviceWith(store, { replicas: 0 })
    const first = await service.put(bytes, {}, 'first')
    const before = await store.getFile(first.fileHash)
    expect(before).toMatchObject({ state: 'complete' })
    await expect(abortedPut(service, 'second')).rejects.toMatchObject({ name: 'AbortedError' })
    expect(await store.getFile(first.fileHash)).toMatchObject({
      state: 'complete',
      manifest: before?.manifest,
    })
    // What the store finds at its next open (the tab closed after the failed upload).
    await store.close()
    const reopened = await openStore(indexedDB, 'reupload')
    expect(reopened.stat()).toMatchObject({
      pinnedBytes: SIZE,
      slices: 4,
      recovered: { files: 0, slices: 0 },
    })
    expect(await reopened.getFile(first.fileHash)).toMatchObject({
      state: 'complete',
      manifest: before?.manifest,
    })
    for (const s of before?.slices ?? []) expect((await reopened.get(s.hash)).byteLength).toBe(s.size)
  })

  it('uploads an owned file again with no room for a second copy, and refuses a new file that size', async () => {
    const store = await createIdbSliceStore(
      { name: 'full', budgetBytes: SIZE + 100 },
      { indexedDB: new IDBFactory(), estimate: async () => undefined },
    )
    const service = await serviceWith(store, { replicas: 0 })
    const first = await service.put(bytes, {}, 'first')
    const again = await service.put(bytes, {}, 'again')
    expect(again.fileHash).toBe(first.fileHash)
    expect(store.stat()).toMatchObject({ pinnedBytes: SIZE, slices: 4 })
    // Same size, other bytes: hashed, then refused before anything is written.
    const other = bytes.map((b) => b ^ 1)
    await expect(service.put(other, {}, 'other')).rejects.toMatchObject({ name: 'StorageQuotaError' })
    await expect(service.put(bytes.subarray(1), {}, 'smaller')).rejects.toMatchObject({
      name: 'StorageQuotaError',
    })
    expect(store.stat()).toMatchObject({ pinnedBytes: SIZE, slices: 4 })
    expect((await store.listFiles()).map((f) => f.fileHash)).toEqual([first.fileHash])
  })

  it('drops the owned slices of a first upload that is aborted', async () => {
    const store = await openStore(new IDBFactory(), 'aborted')
    const service = await serviceWith(store, { replicas: 0 })
    await expect(abortedPut(service, 'op')).rejects.toMatchObject({ name: 'AbortedError' })
    expect(store.stat()).toMatchObject({ pinnedBytes: 0, cachedBytes: 0, slices: 0 })
    expect(await store.listSlices()).toEqual([])
    expect(await store.listFiles()).toEqual([])
  })

  it('leaves nothing owned when an upload of a file it had only downloaded is aborted', async () => {
    const store = await openStore(new IDBFactory(), 'downloaded')
    const sliced = await sliceFile(bytes, { sliceSize: MIN_SLICE_SIZE })
    // The record and cached slices a download leaves.
    await store.putFile({
      fileHash: sliced.fileHash,
      size: SIZE,
      sliceSize: MIN_SLICE_SIZE,
      slices: sliced.slices.map((s) => ({ number: s.number, size: s.size, hash: s.hash })),
      state: 'complete',
      pinned: 0,
      updatedAt: 0,
    })
    await store.putMany(
      sliced.slices.map((s) => ({
        hash: s.hash,
        fileHash: sliced.fileHash,
        number: s.number,
        data: bytes.slice(s.offset, s.offset + s.size),
        pinned: false,
      })),
    )
    const service = await serviceWith(store, { replicas: 0 })
    await expect(abortedPut(service, 'op')).rejects.toMatchObject({ name: 'AbortedError' })
    expect(store.stat().pinnedBytes).toBe(0)
  })

  it('rejects with UploadFailedError and publishes nothing when no placed node stores the file', async () => {
    const store = await openStore(new IDBFactory(), 'unplaced')
    // Nothing listens on port 1: every send is refused.
    const dead: ProviderInfo = {
      peerId: 'dead',
      kind: 'resource',
      multiaddrs: [httpUrlToMultiaddr('http://127.0.0.1:1')],
    }
    const { index, calls } = fakeIndex([dead])
    const service = await serviceWith(store, { replicas: 1, index })
    await expect(service.put(bytes, {}, 'op')).rejects.toMatchObject({ name: 'UploadFailedError' })
    expect(calls).toEqual({ announce: [], putManifest: [] })
    expect(await store.listFiles()).toEqual([])
    expect(store.stat()).toMatchObject({ pinnedBytes: 0, slices: 0 })
  })
})

describe('LightNodeService reads', () => {
  it('ends a download aborted while its providers are looked up, without waiting for the lookup', async () => {
    const store = await openStore(new IDBFactory(), 'lookup')
    // The meta service never answers (an unreachable resource node is given up on only after 10 s).
    const { index } = fakeIndex([], () => new Promise(() => {}))
    const service = await serviceWith(store, { replicas: 0, index })
    const { fileHash } = await service.put(bytes, {}, 'put')
    // The first slice is gone locally: the download asks the index for providers.
    const first = (await store.getFile(fileHash))?.slices[0]
    await store.delete(first?.hash as string)
    await service.openRead(fileHash, 'read')
    const chunk = service.readChunk('read')
    chunk.catch(() => {})
    await new Promise((resolve) => setTimeout(resolve, 50))
    await service.abort('read')
    const outcome = await Promise.race([
      chunk.then(
        () => 'resolved',
        (err: Error) => err.name,
      ),
      new Promise((resolve) => setTimeout(() => resolve('pending'), 500)),
    ])
    expect(outcome).toBe('AbortedError')
  })
})

describe('LightNodeService download progress', () => {
  it('reports each slice of a download to the page: bytes, total, rate, source, name and type', async () => {
    const store = await openStore(new IDBFactory(), 'progress')
    const events: LightNodeEvent[] = []
    const service = await serviceWith(store, { replicas: 0, onEvent: (e) => events.push(e) })
    const { uri } = await service.put(bytes, { name: 'clip.mp4', mimeType: 'video/mp4' }, 'put')
    await service.openRead(uri, 'read')
    let read = 0
    for (let c = await service.readChunk('read'); c !== undefined; c = await service.readChunk('read'))
      read += c.length
    expect(read).toBe(SIZE)
    const progress = events
      .filter((e) => e.type === 'download:progress')
      .map((e) => e.detail as DownloadProgress)
    // One report per slice (read in parallel: in the order they arrive), adding up to the file.
    expect(progress).toHaveLength(4)
    const sums = progress.map((p) => p.bytes)
    expect(sums).toEqual([...sums].sort((x, y) => x - y))
    expect(sums.at(-1)).toBe(SIZE)
    expect(progress.every((p) => p.ref === uri && p.totalBytes === SIZE && p.source === 'local')).toBe(true)
    expect(progress.at(-1)?.bytesPerSecond).toBeGreaterThan(0)
    // The manifest's name and type, so the page saves the file as what it is.
    expect(progress.every((p) => p.name === 'clip.mp4' && p.mimeType === 'video/mp4')).toBe(true)
  })

  it("gives each read of the same file its own progress, apart from the other's", async () => {
    const store = await openStore(new IDBFactory(), 'progress-per-read')
    const service = await serviceWith(store, { replicas: 0 })
    const { uri } = await service.put(bytes, {}, 'put')
    const first: DownloadProgress[] = []
    const second: DownloadProgress[] = []
    await service.openRead(uri, 'one', (p) => first.push(p))
    await service.openRead(uri, 'two', (p) => second.push(p))
    // Only the first read is read to the end; the second stops after one chunk.
    for (let c = await service.readChunk('one'); c !== undefined; c = await service.readChunk('one'));
    await service.readChunk('two')
    await service.abort('two')
    await new Promise((r) => setTimeout(r, 20))
    expect(first.map((p) => p.bytes).at(-1)).toBe(SIZE)
    expect(first.every((p) => p.ref === uri)).toBe(true)
    // Each list adds up on its own: no report of one read lands in the other's.
    for (const list of [first, second]) {
      const sums = list.map((p) => p.bytes)
      expect(sums).toEqual([...new Set(sums)].sort((x, y) => x - y))
    }
    expect(first).toHaveLength(4)
  })
})

describe('LightNodeService manifests', () => {
  /**
   * Another account's manifest that names the victim's file hash but lists its own bytes (every slice
   * of it verifies: slice hashes bind the file hash, not the file's content), with those slices stored
   * here, and an index that answers with it.
   */
  async function forgedManifestOf(victim: Uint8Array, options: { encrypted?: boolean; xor?: number } = {}) {
    const fileHash = computeFileHash(victim) as FileHash
    const forged = victim.map((b) => b ^ (options.xor ?? 0x5a))
    const attacker = generateKeyPair()
    const slices = [0, 1, 2, 3].map((i) => {
      const data = forged.subarray(i * MIN_SLICE_SIZE, Math.min(forged.length, (i + 1) * MIN_SLICE_SIZE))
      const number = i + 1
      return { number, data, hash: computeSliceHash(number, data, fileHash) as SliceHash }
    })
    const manifest = signManifest(
      createManifest({
        sliced: {
          fileHash,
          size: forged.length,
          sliceSize: MIN_SLICE_SIZE,
          codec: CODEC_SDS,
          slices: slices.map((s) => ({
            number: s.number,
            size: s.data.length,
            hash: s.hash,
            offset: (s.number - 1) * MIN_SLICE_SIZE,
          })),
        },
        owner: attacker.address,
        ...(options.encrypted
          ? { encryption: { scheme: 'aes-256-gcm', tag: Uint8Array.of(1), params: new Uint8Array() } }
          : {}),
      }),
      attacker.privateKey,
    )
    const store = await openStore(new IDBFactory(), `forged-${Math.random()}`)
    const forgedSlices = slices.map((s) => ({ ...s, fileHash, pinned: false }))
    await store.putMany(forgedSlices)
    const asked: (string | undefined)[] = []
    const { index, calls } = fakeIndex([])
    index.getManifest = async (_hash, owner) => {
      asked.push(owner)
      return encodeManifest(manifest)
    }
    const service = await serviceWith(store, { replicas: 0, index })
    return { service, store, fileHash, attacker, asked, calls, index, manifest, forgedSlices }
  }

  async function readBytes(service: LightNodeService, opId: string): Promise<Uint8Array> {
    const chunks: Uint8Array[] = []
    for (let c = await service.readChunk(opId); c !== undefined; c = await service.readChunk(opId))
      chunks.push(c)
    const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0))
    let o = 0
    for (const c of chunks) {
      out.set(c, o)
      o += c.length
    }
    return out
  }

  async function readAll(service: LightNodeService, opId: string): Promise<number> {
    let read = 0
    for (let c = await service.readChunk(opId); c !== undefined; c = await service.readChunk(opId))
      read += c.length
    return read
  }

  it("refuses another account's manifest for an owner's sdm:// URI, and asks the index for the owner's", async () => {
    const { service, fileHash, asked } = await forgedManifestOf(bytes)
    const owner = generateKeyPair().address
    await expect(service.openRead(formatSdmUri(owner, fileHash), 'uri')).rejects.toMatchObject({
      name: 'ManifestNotFoundError',
    })
    expect(asked).toEqual([owner])
  })

  it("reads the file an owner's sdm:// URI names as that owner signed it", async () => {
    const { service, fileHash, attacker } = await forgedManifestOf(bytes)
    await service.openRead(formatSdmUri(attacker.address, fileHash), 'own')
    expect(await readAll(service, 'own')).toBe(SIZE)
  })

  it('stops waiting on the index for a manifest when the read is aborted', async () => {
    const { service, fileHash, index } = await forgedManifestOf(bytes)
    let signalled: AbortSignal | undefined
    index.getManifest = (_hash, _owner, signal) => {
      signalled = signal
      return new Promise(() => {}) // an index that never answers
    }
    const opening = service.openRead(fileHash, 'stuck')
    await new Promise((r) => setTimeout(r, 20))
    await service.abort('stuck')
    await expect(opening).rejects.toMatchObject({ name: 'AbortedError' })
    expect(signalled?.aborted).toBe(true)
  })

  it('takes the manifest the index chose for a bare file hash, asks once, and keeps it', async () => {
    const { service, store, fileHash, attacker, asked, calls } = await forgedManifestOf(bytes)
    await service.openRead(fileHash, 'bare')
    // No whole-file check second-guesses the meta service: the bytes its manifest lists are the file.
    expect(await readBytes(service, 'bare')).toEqual(bytes.map((b) => b ^ 0x5a))
    expect(asked).toEqual([undefined])
    expect(decodeManifestOwner((await store.getFile(fileHash))?.manifest)).toBe(
      toEvmAddress(attacker.address),
    )
    await service.openRead(fileHash, 'again')
    expect(await readAll(service, 'again')).toBe(SIZE)
    expect(asked).toEqual([undefined])
    expect(calls.putManifest).toEqual([])
  })
})

function decodeManifestOwner(bytes: Uint8Array | undefined): string | undefined {
  return bytes ? toEvmAddress(decodeManifest(bytes).owner) : undefined
}
