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
  type Manifest,
  MIN_SLICE_SIZE,
  type SliceHash,
  signManifest,
  sliceFile,
  toEvmAddress,
} from '@stratos-edge/core'
import { httpUrlToMultiaddr, UnsupportedOperationError } from '@stratos-edge/protocol'
import { IDBFactory } from 'fake-indexeddb'
import 'fake-indexeddb/auto'
import { describe, expect, it } from 'vitest'
import type { PutProgress } from '../src/api-types.js'
import { LightNodeService } from '../src/node/light-node-service.js'
import type { NetworkIndex, ProviderInfo } from '../src/node/network-index.js'
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
    manifestOwners: async () => [],
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

/** A started service's state without starting libp2p: the store, the index and the owner are handed in. */
function serviceWith(store: IdbSliceStore, options: { replicas: number; index?: NetworkIndex }) {
  const service = new LightNodeService()
  Object.assign(service as unknown as Record<string, unknown>, {
    store,
    libp2p: noLibp2p,
    index: options.index,
    owner: generateKeyPair(),
    init: { resourceNodes: [], replicas: options.replicas, sliceSize: MIN_SLICE_SIZE },
  })
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
    const service = serviceWith(store, { replicas: 0 })
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
    const service = serviceWith(store, { replicas: 0 })
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
    const service = serviceWith(store, { replicas: 0 })
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
    const service = serviceWith(store, { replicas: 0 })
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
    const service = serviceWith(store, { replicas: 1, index })
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
    const service = serviceWith(store, { replicas: 0, index })
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

describe('LightNodeService manifests nobody vouches for', () => {
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
    const service = serviceWith(store, { replicas: 0, index })
    return { service, store, fileHash, attacker, asked, calls, index, manifest, forgedSlices }
  }

  /** The victim's own manifest of the file (signed by a third account), with its slices as a store takes them. */
  async function genuineManifestOf(victim: Uint8Array) {
    const sliced = await sliceFile(victim, { sliceSize: MIN_SLICE_SIZE })
    const signer = generateKeyPair()
    const manifest = signManifest(createManifest({ sliced, owner: signer.address }), signer.privateKey)
    const slices = sliced.slices.map((s) => ({
      hash: s.hash,
      fileHash: sliced.fileHash,
      number: s.number,
      data: victim.slice(s.offset, s.offset + s.size),
      pinned: false,
    }))
    return { manifest, owner: toEvmAddress(signer.address), slices }
  }

  /**
   * Makes the index hold each of `manifests` under its owner, the first answering by bare file hash, and
   * list their owners (checksummed, as the protocol client returns them). Returns the owner listings asked.
   */
  function holdManifests(index: NetworkIndex, asked: (string | undefined)[], manifests: Manifest[]) {
    const listed: string[] = []
    index.getManifest = async (hash, owner) => {
      asked.push(owner)
      const found = owner
        ? manifests.find((m) => toEvmAddress(m.owner) === toEvmAddress(owner))
        : manifests[0]
      return found && found.fileHash === hash ? encodeManifest(found) : undefined
    }
    index.manifestOwners = async (hash) => {
      listed.push(hash)
      return manifests.filter((m) => m.fileHash === hash).map((m) => toEvmAddress(m.owner))
    }
    return listed
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

  it('fails a read by bare file hash with FileVerificationError before its last bytes, keeping nothing of it', async () => {
    const { service, store, fileHash, asked, calls } = await forgedManifestOf(bytes)
    await service.openRead(fileHash, 'bare')
    let read = 0
    const outcome = await (async () => {
      for (;;) {
        const chunk = await service.readChunk('bare')
        if (chunk === undefined) return 'ended'
        read += chunk.length
      }
    })().catch((err: Error) => err.name)
    expect(outcome).toBe('FileVerificationError')
    expect(read).toBeLessThan(SIZE)
    // Neither the manifest nor its slices stay: the next read asks the index again, none is announced.
    expect(await store.getFile(fileHash)).toBeUndefined()
    expect(store.stat()).toMatchObject({ slices: 0, cachedBytes: 0 })
    await service.openRead(fileHash, 'again')
    expect(asked).toHaveLength(2)
    expect(calls.announce).toEqual([])
  })

  it('refuses a manifest marked encrypted for a bare file hash: nothing could check it', async () => {
    const { service, fileHash } = await forgedManifestOf(bytes, { encrypted: true })
    await expect(service.openRead(fileHash, 'enc')).rejects.toMatchObject({ name: 'ManifestNotFoundError' })
  })

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

  it("takes another owner's manifest when the index's first for a bare file hash is an encrypted stranger's", async () => {
    const { service, store, fileHash, asked, index, manifest } = await forgedManifestOf(bytes, {
      encrypted: true,
    })
    const genuine = await genuineManifestOf(bytes)
    await store.putMany(genuine.slices)
    const listed = holdManifests(index, asked, [manifest, genuine.manifest])
    await service.openRead(fileHash, 'bare')
    expect(await readBytes(service, 'bare')).toEqual(bytes)
    // The first manifest, the owners, then the genuine owner's manifest: one read.
    expect(asked).toEqual([undefined, genuine.owner])
    expect(listed).toEqual([fileHash])
    // Kept for the next read.
    expect(decodeManifestOwner((await store.getFile(fileHash))?.manifest)).toBe(genuine.owner)
  })

  it("takes another owner's manifest by bare file hash when the kept one is encrypted (read before by its URI)", async () => {
    const { service, store, fileHash, attacker, asked, index, manifest } = await forgedManifestOf(bytes, {
      encrypted: true,
    })
    const genuine = await genuineManifestOf(bytes)
    holdManifests(index, asked, [manifest, genuine.manifest])
    // The owner's URI vouches for its encrypted file: its manifest is kept.
    await service.openRead(formatSdmUri(attacker.address, fileHash), 'uri')
    expect(await readAll(service, 'uri')).toBe(SIZE)
    expect(decodeManifestOwner((await store.getFile(fileHash))?.manifest)).toBe(
      toEvmAddress(attacker.address),
    )
    await store.putMany(genuine.slices)
    await service.openRead(fileHash, 'bare')
    expect(await readBytes(service, 'bare')).toEqual(bytes)
    expect(asked).toEqual([attacker.address, undefined, genuine.owner])
    // The URI's record stays for the URI's next read.
    expect(decodeManifestOwner((await store.getFile(fileHash))?.manifest)).toBe(
      toEvmAddress(attacker.address),
    )
  })

  it("keeps a URI read's record and its slices when another owner's manifest, taken by bare hash, fails", async () => {
    const { service, store, fileHash, attacker, asked, index, manifest, forgedSlices } =
      await forgedManifestOf(bytes, { encrypted: true })
    // A second stranger whose manifest lists other bytes again: it fails the whole-file check.
    const other = await forgedManifestOf(bytes, { xor: 0x33 })
    holdManifests(index, asked, [manifest, other.manifest])
    await service.openRead(formatSdmUri(attacker.address, fileHash), 'uri')
    expect(await readAll(service, 'uri')).toBe(SIZE)
    await store.putMany(other.forgedSlices)
    await service.openRead(fileHash, 'bare')
    await expect(readBytes(service, 'bare')).rejects.toMatchObject({ name: 'FileVerificationError' })
    await service.openRead(formatSdmUri(attacker.address, fileHash), 'uri-again') // waits for the drop
    expect(decodeManifestOwner((await store.getFile(fileHash))?.manifest)).toBe(
      toEvmAddress(attacker.address),
    )
    for (const s of forgedSlices) expect(await store.has(s.hash)).toBe(true)
    for (const s of other.forgedSlices) expect(await store.has(s.hash)).toBe(false)
    expect(await readAll(service, 'uri-again')).toBe(SIZE)
  })

  it("takes another owner's manifest when nobody holds the slices the first lists (a stranger's, by bare hash)", async () => {
    const { service, store, fileHash, asked, index, manifest, forgedSlices } = await forgedManifestOf(bytes)
    for (const s of forgedSlices) await store.delete(s.hash) // listed by the stranger, held by nobody
    const genuine = await genuineManifestOf(bytes)
    await store.putMany(genuine.slices)
    const looked: string[][] = []
    index.lookup = async (hashes) => {
      looked.push([...hashes])
      return new Map()
    }
    const listed = holdManifests(index, asked, [manifest, genuine.manifest])
    await service.openRead(fileHash, 'bare')
    expect(await readBytes(service, 'bare')).toEqual(bytes)
    expect(asked).toEqual([undefined, genuine.owner])
    expect(listed).toEqual([fileHash])
    expect(looked).toEqual([manifest.slices.map((s) => s.hash), genuine.manifest.slices.map((s) => s.hash)])
    // The record kept is the manifest that worked: the next read takes it without asking the index.
    expect(decodeManifestOwner((await store.getFile(fileHash))?.manifest)).toBe(genuine.owner)
  })

  it("keeps no record of a manifest whose slices nobody holds, so a later read can take the owner's", async () => {
    const { service, store, fileHash, asked, index, manifest, forgedSlices } = await forgedManifestOf(bytes)
    for (const s of forgedSlices) await store.delete(s.hash)
    // The owner has not published yet: the stranger's is the only manifest, and it is read (and fails).
    holdManifests(index, asked, [manifest])
    await service.openRead(fileHash, 'early')
    await expect(readBytes(service, 'early')).rejects.toThrow()
    expect(await store.getFile(fileHash)).toBeUndefined()
    // Once the owner's is there, the next read by bare hash takes it.
    const genuine = await genuineManifestOf(bytes)
    await store.putMany(genuine.slices)
    holdManifests(index, asked, [manifest, genuine.manifest])
    await service.openRead(fileHash, 'later')
    expect(await readBytes(service, 'later')).toEqual(bytes)
  })

  it("a manifest taken with a slice nobody lists still gives the download every other slice's providers", async () => {
    const genuine = await genuineManifestOf(bytes)
    const { service, fileHash, asked, index } = await forgedManifestOf(bytes)
    const hashes = genuine.manifest.slices.map((s) => s.hash)
    index.lookup = async (batch) =>
      new Map(
        batch.map((h) => [
          h,
          h === hashes[0] ? [] : [{ peerId: 'peer-x', multiaddrs: [], kind: 'light' as const }],
        ]),
      )
    holdManifests(index, asked, [genuine.manifest]) // the only owner: taken, though its first slice is unlisted
    // What the download is handed: a lookup covering every slice, or none (it then looks up itself).
    const handed: (Map<string, ProviderInfo[]> | undefined)[] = []
    const internals = service as unknown as {
      providersFor(h: readonly string[], s: AbortSignal, l?: Map<string, ProviderInfo[]>): Promise<unknown>
    }
    internals.providersFor = async (_h, _s, listed) => {
      handed.push(listed)
      throw new Error('stop here')
    }
    await service.openRead(fileHash, 'bare')
    await expect(readBytes(service, 'bare')).rejects.toThrow()
    expect(handed).toHaveLength(1)
    if (handed[0]) expect([...handed[0].keys()].sort()).toEqual([...hashes].sort())
  })

  it('the download uses the lookup made while choosing the manifest, not a second one', async () => {
    const genuine = await genuineManifestOf(bytes)
    const { service, fileHash, asked, index } = await forgedManifestOf(bytes)
    const looked: string[][] = []
    index.lookup = async (hashes) => {
      looked.push([...hashes])
      return new Map(hashes.map((h) => [h, [{ peerId: 'peer-x', multiaddrs: [], kind: 'light' as const }]]))
    }
    holdManifests(index, asked, [genuine.manifest]) // slices held by peer-x only, not here
    // A libp2p that knows itself and has no connections; a dial (of peer-x) fails.
    let dialed = false
    const selfOnly = new Proxy(
      { peerId: { toString: () => 'self' }, getConnections: () => [] },
      {
        get(target, prop) {
          if (prop in target) return target[prop as keyof typeof target]
          dialed = true
          throw new Error(`no libp2p here (${String(prop)})`)
        },
      },
    )
    Object.assign(service as unknown as Record<string, unknown>, { libp2p: selfOnly })
    await service.openRead(fileHash, 'bare')
    const reading = readBytes(service, 'bare')
    reading.catch(() => {})
    // By the first dial the download has its providers; its dial retries are not waited for.
    for (let i = 0; i < 500 && !dialed; i++) await new Promise((r) => setTimeout(r, 10))
    expect(dialed).toBe(true)
    await service.abort('bare')
    await expect(reading).rejects.toThrow()
    expect(looked).toEqual([genuine.manifest.slices.map((s) => s.hash)])
  })

  /**
   * A stranger's encrypted manifest first, `decoys` more strangers' encrypted ones, then the owner's,
   * whose slices this store holds: all kept by the index, which lists their owners.
   */
  async function ownerBehindEncryptedDecoys(decoys: number) {
    const first = await forgedManifestOf(bytes, { encrypted: true })
    const others = await Promise.all(
      Array.from(
        { length: decoys },
        async () => (await forgedManifestOf(bytes, { encrypted: true })).manifest,
      ),
    )
    const genuine = await genuineManifestOf(bytes)
    await first.store.putMany(genuine.slices)
    holdManifests(first.index, first.asked, [first.manifest, ...others, genuine.manifest])
    return { ...first, genuine }
  }

  it("tries every owner the index lists: many strangers' encrypted manifests do not hide the owner's", async () => {
    const { service, fileHash, asked, genuine } = await ownerBehindEncryptedDecoys(12)
    await service.openRead(fileHash, 'bare')
    expect(await readBytes(service, 'bare')).toEqual(bytes)
    expect(asked.at(-1)).toBe(genuine.owner)
  })

  it("asks for the listed owners' manifests four ahead, and stops the rest once one is taken", async () => {
    const { service, fileHash, index } = await ownerBehindEncryptedDecoys(6)
    const listOwners = index.manifestOwners
    const unknown = Array.from({ length: 5 }, (_, i) => `0x${(i + 1).toString(16).padStart(40, '0')}`)
    index.manifestOwners = async (hash, signal) => [...(await listOwners(hash, signal)), ...unknown]
    const held = index.getManifest
    const signals: (AbortSignal | undefined)[] = []
    let inFlight = 0
    let mostInFlight = 0
    index.getManifest = async (hash, owner, signal) => {
      if (owner === undefined) return held(hash, owner, signal)
      signals.push(signal)
      inFlight++
      mostInFlight = Math.max(mostInFlight, inFlight)
      await new Promise((r) => setTimeout(r, 20)) // an index that answers slowly
      inFlight--
      return held(hash, owner, signal)
    }
    await service.openRead(fileHash, 'bare')
    expect(await readBytes(service, 'bare')).toEqual(bytes)
    expect(mostInFlight).toBe(4)
    // The six decoys', the owner's (taken), and three asked ahead of it: stopped.
    expect(signals).toHaveLength(10)
    expect(signals.slice(7).every((s) => s?.aborted)).toBe(true)
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

  it("after a stranger's manifest fails the whole-file check, the next bare-hash read takes another owner's", async () => {
    const { service, store, fileHash, attacker, asked, index, manifest, forgedSlices } =
      await forgedManifestOf(bytes)
    const genuine = await genuineManifestOf(bytes)
    await store.putMany(genuine.slices)
    const listed = holdManifests(index, asked, [manifest, genuine.manifest])
    // Nothing is known against the first manifest yet: it is read, and fails at the end.
    await service.openRead(fileHash, 'first')
    await expect(readBytes(service, 'first')).rejects.toMatchObject({ name: 'FileVerificationError' })
    expect(listed).toEqual([])
    // The failed read dropped every slice of the file it held; peers would serve the genuine ones again.
    await store.putMany(genuine.slices)
    await service.openRead(fileHash, 'second')
    expect(await readBytes(service, 'second')).toEqual(bytes)
    expect(asked).toEqual([undefined, undefined, genuine.owner])
    expect(listed).toEqual([fileHash])
    // A URI still takes only its owner's manifest, unchecked (the owner vouches for it), listing nobody.
    await store.putMany(forgedSlices)
    await service.openRead(formatSdmUri(attacker.address, fileHash), 'uri')
    expect(await readBytes(service, 'uri')).toEqual(bytes.map((b) => b ^ 0x5a))
    expect(asked.at(-1)).toBe(attacker.address)
    expect(listed).toEqual([fileHash])
  })

  it('goes without other owners when the index cannot list them (a node from before the request)', async () => {
    const genuine = await genuineManifestOf(bytes)
    const old = (index: NetworkIndex) => {
      index.manifestOwners = async () => {
        throw new UnsupportedOperationError('Index peer replied: unknown request type 0x27', 'Go without')
      }
    }
    // An encrypted first manifest is refused by bare hash, as before.
    const encrypted = await forgedManifestOf(bytes, { encrypted: true })
    holdManifests(encrypted.index, encrypted.asked, [encrypted.manifest, genuine.manifest])
    old(encrypted.index)
    await encrypted.store.putMany(genuine.slices)
    await expect(encrypted.service.openRead(encrypted.fileHash, 'enc')).rejects.toMatchObject({
      name: 'ManifestNotFoundError',
    })
    // One that fails the whole-file check is read, and fails, again.
    const { service, store, fileHash, asked, index, manifest, forgedSlices } = await forgedManifestOf(bytes)
    holdManifests(index, asked, [manifest, genuine.manifest])
    old(index)
    for (const opId of ['first', 'again']) {
      await store.putMany([...forgedSlices, ...genuine.slices])
      await service.openRead(fileHash, opId)
      await expect(readBytes(service, opId)).rejects.toMatchObject({ name: 'FileVerificationError' })
    }
    expect(asked).toEqual([undefined, undefined])
  })
})

function decodeManifestOwner(bytes: Uint8Array | undefined): string | undefined {
  return bytes ? toEvmAddress(decodeManifest(bytes).owner) : undefined
}
