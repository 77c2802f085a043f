import type { Libp2p } from '@libp2p/interface'
import { addressToBytes, DecodeError, type SliceHash, toChecksumAddress } from '@stratos-edge/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  closeWithError,
  createIndexClient,
  createIndexHandler,
  decodeErrorMessage,
  encodeFrame,
  FrameReader,
  INDEX_PROTOCOL,
  type IndexBackend,
  IndexOp,
  indexOpName,
  MAX_INDEX_FRAME_BYTES,
  MAX_MANIFEST_OWNERS,
  type ProviderRecord,
  registerIndexProtocol,
} from '../src/index.js'
import { createTestNode, makeFile } from './helpers.js'

describe('index protocol between real libp2p nodes', () => {
  let meta: Libp2p
  let light: Libp2p
  let holder: Libp2p
  const held = new Map<SliceHash, Set<string>>()
  const manifests = new Map<string, Uint8Array>()
  const askedOwners: (string | undefined)[] = []
  /** Owners per file hash, as a store lists them (lower case). */
  const owners = new Map<string, string[]>()
  /** The request types the light node's handler reported, by name. */
  const lightRequests: string[] = []

  beforeAll(async () => {
    meta = await createTestNode()
    light = await createTestNode()
    holder = await createTestNode()
    const backend: IndexBackend = {
      announce(a, ctx) {
        for (const h of a.hashes) {
          const s = held.get(h) ?? new Set()
          s.add(ctx.peer.toString())
          held.set(h, s)
        }
      },
      withdraw(hashes, ctx) {
        for (const h of hashes) held.get(h)?.delete(ctx.peer.toString())
      },
      lookup(hashes, limit) {
        return new Map(
          hashes.map((h) => [
            h,
            [...(held.get(h) ?? [])]
              .slice(0, limit)
              .map((p): ProviderRecord => ({ peerId: p, multiaddrs: [], kind: 'light' })),
          ]),
        )
      },
      place(req) {
        return [
          {
            peerId: `placed-${req.replicas}-${req.exclude.length}`,
            multiaddrs: ['/ip4/127.0.0.1/tcp/1'],
            kind: 'resource',
          },
        ]
      },
      putManifest(bytes) {
        const { fileHash } = makeFile(bytes.length, 1 << 20)
        manifests.set(fileHash, bytes)
        return fileHash
      },
      getManifest(fileHash, _context, owner) {
        askedOwners.push(owner)
        return manifests.get(fileHash)
      },
      manifestOwners: (fileHash) => owners.get(fileHash) ?? [],
    }
    await registerIndexProtocol(meta, { backend })
    // a light node answers lookups only, for what it holds
    await light.handle(
      INDEX_PROTOCOL,
      createIndexHandler({
        backend: {
          lookup: (hashes) =>
            new Map(
              hashes.map((h) => [
                h,
                [{ peerId: light.peerId.toString(), multiaddrs: [], kind: 'light' as const }],
              ]),
            ),
        },
        onRequest: (op) => lightRequests.push(indexOpName(op)),
      }),
    )
  })

  afterAll(async () => {
    await Promise.all([meta?.stop(), light?.stop(), holder?.stop()])
  })

  it('announce, lookup, withdraw', async () => {
    const { slices } = makeFile(50_000, 20_000)
    const hashes = slices.map((s) => s.hash)
    const index = createIndexClient(holder, meta.getMultiaddrs())
    await index.announce({ kind: 'light', multiaddrs: [], freeBytes: 0, replace: false, hashes })
    const found = await index.lookup(hashes)
    for (const h of hashes) expect(found.get(h)?.map((p) => p.peerId)).toEqual([holder.peerId.toString()])
    await index.withdraw([hashes[0]!])
    const after = await index.lookup(hashes)
    expect(after.get(hashes[0]!)).toEqual([])
    expect(after.get(hashes[1]!)?.length).toBe(1)
  })

  it("reports each well-formed request's type, also one the node does not serve", async () => {
    const index = createIndexClient(holder, light.getMultiaddrs())
    const from = lightRequests.length
    const { slices } = makeFile(100, 16384)
    expect((await index.lookup([slices[0]!.hash])).get(slices[0]!.hash)).toHaveLength(1)
    await expect(index.manifestOwners(makeFile(14, 16384).fileHash)).rejects.toThrow()
    expect(lightRequests.slice(from)).toEqual(['lookup', 'manifest_owners'])
  })

  it('placement and manifests', async () => {
    const index = createIndexClient(holder, meta.getMultiaddrs())
    const targets = await index.place({ fileHash: makeFile(10, 16384).fileHash, size: 10, exclude: ['x'] })
    expect(targets[0]?.peerId).toBe('placed-2-1')
    expect(targets[0]?.kind).toBe('resource')
    const bytes = Uint8Array.of(1, 2, 3, 4)
    const fileHash = await index.putManifest(bytes)
    expect([...(await index.getManifest(fileHash))]).toEqual([1, 2, 3, 4])
    // An sdm:// URI's owner reaches the backend as a checksummed address.
    const owner = `0x${'ab'.repeat(20)}`
    await index.getManifest(fileHash, { owner })
    expect(askedOwners.slice(-2)).toEqual([undefined, toChecksumAddress(addressToBytes(owner))])
    await expect(index.getManifest(makeFile(11, 16384).fileHash)).rejects.toMatchObject({
      name: 'SliceNotFoundError',
    })
  })

  it('asks a node from before the owner field again without it, when it refuses the field', async () => {
    const old = await createTestNode()
    try {
      const bytes = Uint8Array.of(9, 9)
      const { fileHash } = makeFile(12, 16384)
      await old.handle(
        INDEX_PROTOCOL,
        createIndexHandler({
          backend: {
            // What such a node answers: the 20 owner bytes are trailing bytes to its decoder.
            getManifest: (_hash, _context, owner) => {
              if (owner) throw new DecodeError('index request: 20 trailing bytes', 'Send a valid message')
              return bytes
            },
          },
        }),
      )
      const index = createIndexClient(holder, old.getMultiaddrs())
      expect([...(await index.getManifest(fileHash, { owner: `0x${'cd'.repeat(20)}` }))]).toEqual([9, 9])
    } finally {
      await old.stop()
    }
  })

  it('lists the owners who signed manifests of a file, checksummed, at most 16', async () => {
    const index = createIndexClient(holder, meta.getMultiaddrs())
    const { fileHash } = makeFile(13, 16384)
    expect(await index.manifestOwners(fileHash)).toEqual([])
    const listed = Array.from(
      { length: MAX_MANIFEST_OWNERS + 3 },
      (_, i) => `0x${(i + 1).toString(16).padStart(40, 'a')}`,
    )
    owners.set(fileHash, listed)
    const got = await index.manifestOwners(fileHash)
    expect(got).toEqual(listed.slice(0, MAX_MANIFEST_OWNERS).map((o) => toChecksumAddress(addressToBytes(o))))
  })

  it('a node from before the owners request, or one without manifests, answers UnsupportedOperationError', async () => {
    const old = await createTestNode()
    try {
      // What such a node answers: its decoder does not know the request type.
      await old.handle(INDEX_PROTOCOL, async (stream) => {
        const reader = new FrameReader(stream, { maxFrameBytes: MAX_INDEX_FRAME_BYTES })
        const body = await reader.next()
        reader.release()
        const type = body?.[0]?.toString(16)
        await closeWithError(
          stream,
          new DecodeError(`Malformed index request: unknown request type 0x${type}`, 'Send a valid message'),
        )
      })
      const { fileHash } = makeFile(14, 16384)
      const fromOld = createIndexClient(holder, old.getMultiaddrs()).manifestOwners(fileHash)
      await expect(fromOld).rejects.toMatchObject({ name: 'UnsupportedOperationError' })
      await expect(fromOld).rejects.toMatchObject({ cause: { name: 'DecodeError' } })
      // A light node knows the request but keeps no manifests.
      const fromLight = createIndexClient(holder, light.getMultiaddrs()).manifestOwners(fileHash)
      await expect(fromLight).rejects.toMatchObject({ name: 'UnsupportedOperationError' })
    } finally {
      await old.stop()
    }
  })

  it('an oversized owner list from the peer is a DecodeError here, not taken for an older node', async () => {
    const liar = await createTestNode()
    try {
      await liar.handle(INDEX_PROTOCOL, async (stream) => {
        const reader = new FrameReader(stream, { maxFrameBytes: MAX_INDEX_FRAME_BYTES })
        await reader.next()
        reader.release()
        // 17 owners declared, 17 × 20 bytes sent.
        const body = new Uint8Array(2 + 17 * 20)
        body[0] = IndexOp.MANIFEST_OWNERS | 0x80
        body[1] = MAX_MANIFEST_OWNERS + 1
        stream.send(encodeFrame(body))
        await stream.close()
      })
      const { fileHash } = makeFile(15, 16384)
      await expect(
        createIndexClient(holder, liar.getMultiaddrs()).manifestOwners(fileHash),
      ).rejects.toMatchObject({ name: 'DecodeError', message: expect.stringMatching(/owner count 17/) })
    } finally {
      await liar.stop()
    }
  })

  it('a light node answers lookups and refuses placement with UnsupportedOperationError', async () => {
    const index = createIndexClient(holder, light.getMultiaddrs())
    const { slices } = makeFile(100, 100)
    const found = await index.lookup([slices[0]!.hash])
    expect(found.get(slices[0]!.hash)?.[0]?.peerId).toBe(light.peerId.toString())
    await expect(index.place({ fileHash: slices[0]!.fileHash, size: 100 })).rejects.toMatchObject({
      name: 'UnsupportedOperationError',
    })
  })

  it('garbage and oversized requests get typed errors and the meta node keeps serving', async () => {
    const s1 = await holder.dialProtocol(meta.getMultiaddrs(), INDEX_PROTOCOL)
    const r1 = new FrameReader(s1, { maxFrameBytes: 1 << 20 })
    s1.send(encodeFrame(Uint8Array.of(0x55, 1, 2)))
    expect(decodeErrorMessage((await r1.next())!).name).toBe('DecodeError')
    const s2 = await holder.dialProtocol(meta.getMultiaddrs(), INDEX_PROTOCOL)
    const r2 = new FrameReader(s2, { maxFrameBytes: 1 << 20 })
    s2.send(Uint8Array.of(0xff, 0xff, 0xff, 0x7f)) // 256 MiB declared
    expect(decodeErrorMessage((await r2.next())!).name).toBe('FrameTooLargeError')
    const index = createIndexClient(holder, meta.getMultiaddrs())
    expect(await index.lookup([makeFile(10, 16384).slices[0]!.hash])).toBeInstanceOf(Map)
  })
})
