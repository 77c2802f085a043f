import type { PeerId } from '@libp2p/interface'
import { computeFileHash, computeSliceHash } from '@stratos-edge/core'
import type { Announcement, ManifestStore } from '@stratos-edge/protocol'
import { describe, expect, it } from 'vitest'
import { createMetaService, networkDistance, parseRange } from '../src/index.js'

const fileHash = computeFileHash(new TextEncoder().encode('meta'))
const h1 = computeSliceHash(1, Uint8Array.of(1), fileHash)
const h2 = computeSliceHash(2, Uint8Array.of(2), fileHash)
const peer = (id: string) => ({ toString: () => id }) as unknown as PeerId
const noManifests: ManifestStore = {
  getManifest: async () => undefined,
  putManifest: async () => fileHash,
}
const ann = (a: Partial<Announcement>): Announcement => ({
  kind: 'light',
  multiaddrs: [],
  freeBytes: 0,
  replace: false,
  hashes: [],
  ...a,
})

describe('meta service', () => {
  it('orders providers nearest to the requester first, then light before resource', () => {
    let t = 1000
    const meta = createMetaService({ manifests: noManifests, now: () => t })
    meta.announce(ann({ kind: 'resource', hashes: [h1] }), {
      peer: peer('far-resource'),
      remoteAddr: '/ip4/192.168.7.9/tcp/1',
    })
    meta.announce(ann({ kind: 'light', hashes: [h1] }), {
      peer: peer('far-light'),
      remoteAddr: '/ip4/192.168.7.10/tcp/1',
    })
    meta.announce(ann({ kind: 'resource', hashes: [h1] }), {
      peer: peer('near'),
      remoteAddr: '/ip4/10.0.0.7/tcp/1',
    })
    t++
    const found = meta.lookup([h1, h2], 8, { peer: peer('me'), remoteAddr: '/ip4/10.0.0.9/tcp/5' })
    expect(found.get(h1)?.map((p) => p.peerId)).toEqual(['near', 'far-light', 'far-resource'])
    expect(found.get(h2)).toEqual([])
    expect(
      meta.lookup([h1], 1, { peer: peer('me'), remoteAddr: '/ip4/10.0.0.9/tcp/5' }).get(h1),
    ).toHaveLength(1)
    // a requester is never told about itself
    expect(
      meta
        .lookup([h1], 8, { peer: peer('near'), remoteAddr: '/ip4/10.0.0.7/tcp/1' })
        .get(h1)
        ?.map((p) => p.peerId),
    ).not.toContain('near')
  })

  it('keeps room for resource nodes when browsers would fill the answer', () => {
    // One clock reading: the browsers, equally near, keep the order they announced in.
    const meta = createMetaService({ manifests: noManifests, now: () => 1000 })
    // Ten browsers next to the requester, two resource nodes further away, all holding h1.
    for (let i = 0; i < 10; i++) {
      meta.announce(ann({ kind: 'light', hashes: [h1] }), {
        peer: peer(`light-${i}`),
        remoteAddr: `/ip4/10.0.0.${20 + i}/tcp/1`,
      })
    }
    for (const id of ['resource-a', 'resource-b']) {
      meta.announce(ann({ kind: 'resource', hashes: [h1] }), {
        peer: peer(id),
        remoteAddr: `/ip4/192.168.7.${id === 'resource-a' ? 1 : 2}/tcp/1`,
      })
    }
    const me = { peer: peer('me'), remoteAddr: '/ip4/10.0.0.9/tcp/5' }
    const ids = (limit: number) =>
      meta
        .lookup([h1], limit, me)
        .get(h1)
        ?.map((p) => p.peerId)
    // Nearest first still: the browsers, then the two resource nodes in the places kept for them.
    expect(ids(8)).toEqual([...Array.from({ length: 6 }, (_, i) => `light-${i}`), 'resource-a', 'resource-b'])
    expect(ids(2)).toEqual(['light-0', 'resource-a'])
    // One place goes to the nearest; room for all: nothing is left out.
    expect(ids(1)).toEqual(['light-0'])
    expect(ids(16)).toHaveLength(12)
  })

  it('withdraw, replace and light nodes leaving', () => {
    const meta = createMetaService({ manifests: noManifests })
    const ctx = { peer: peer('L'), remoteAddr: '/ip4/10.0.0.2/tcp/1' }
    const me = { peer: peer('me'), remoteAddr: '/ip4/10.0.0.3/tcp/1' }
    meta.announce(ann({ hashes: [h1, h2] }), ctx)
    meta.withdraw([h1], ctx)
    expect(meta.lookup([h1], 8, me).get(h1)).toEqual([])
    meta.announce(ann({ hashes: [h1], replace: true }), ctx)
    expect(meta.lookup([h2], 8, me).get(h2)).toEqual([])
    expect(meta.lookup([h1], 8, me).get(h1)).toHaveLength(1)
    meta.peerDisconnected('L')
    expect(meta.lookup([h1], 8, me).get(h1)).toEqual([])
    expect(meta.stats()).toEqual({ light: 0, resource: 0, slices: 0 })
  })

  it('places r replicas on distinct fresh resource nodes with room, nearest first', () => {
    let t = 0
    const meta = createMetaService({ manifests: noManifests, now: () => t, staleAfterMs: 1000 })
    const res = (id: string, ip: string, free: number) =>
      meta.announce(ann({ kind: 'resource', freeBytes: free, multiaddrs: [`/ip4/${ip}/tcp/7401`] }), {
        peer: peer(id),
        remoteAddr: `/ip4/${ip}/tcp/7401`,
      })
    res('stale', '10.0.0.5', 1e12)
    t = 5000
    res('small', '10.0.0.6', 100)
    res('a', '10.0.0.7', 1e9)
    res('b', '172.16.0.1', 1e9)
    res('c', '10.0.0.8', 1e9)
    meta.announce(ann({ kind: 'light', freeBytes: 1e12 }), {
      peer: peer('light'),
      remoteAddr: '/ip4/10.0.0.9/tcp/1',
    })
    const req = { peer: peer('up'), remoteAddr: '/ip4/10.0.0.9/tcp/9' }
    const two = meta.place({ fileHash, size: 1e6, replicas: 2, exclude: [] }, req)
    expect(two.map((p) => p.peerId).sort()).toEqual(['a', 'c'])
    expect(
      meta.place({ fileHash, size: 1e6, replicas: 2, exclude: ['a'] }, req).map((p) => p.peerId),
    ).not.toContain('a')
    expect(meta.place({ fileHash, size: 1e6, replicas: 9, exclude: [] }, req)).toHaveLength(3)
    // a stale resource node is not offered as a provider either
    meta.announce(ann({ kind: 'resource', hashes: [h1] }), {
      peer: peer('gone'),
      remoteAddr: '/ip4/10.0.0.4/tcp/1',
    })
    expect(
      meta
        .lookup([h1], 8, req)
        .get(h1)
        ?.map((p) => p.peerId),
    ).toEqual(['gone'])
    t += 2000
    expect(meta.lookup([h1], 8, req).get(h1)).toEqual([])
  })
})

describe('meta service limits', () => {
  it('refuses announcements over the per-peer limit with InvalidArgumentError', () => {
    const meta = createMetaService({ manifests: noManifests, maxSlicesPerPeer: 1 })
    const ctx = { peer: peer('greedy'), remoteAddr: '/ip4/10.0.0.2/tcp/1' }
    meta.announce(ann({ hashes: [h1] }), ctx)
    expect(() => meta.announce(ann({ hashes: [h2] }), ctx)).toThrow(
      expect.objectContaining({ name: 'InvalidArgumentError' }),
    )
    meta.announce(ann({ hashes: [h2], replace: true }), ctx)
    expect(meta.stats().slices).toBe(1)
  })

  it('forgets resource nodes long silent, with their slices', () => {
    let t = 0
    const meta = createMetaService({ manifests: noManifests, now: () => t, forgetAfterMs: 1000 })
    const gone = { peer: peer('gone'), remoteAddr: '/ip4/10.0.0.3/tcp/1' }
    const alive = { peer: peer('alive'), remoteAddr: '/ip4/10.0.0.4/tcp/1' }
    meta.announce(ann({ kind: 'resource', hashes: [h1] }), gone)
    meta.announce(ann({ kind: 'resource', hashes: [h2] }), alive)
    t = 900
    meta.announce(ann({ kind: 'resource', hashes: [h2], replace: true }), alive)
    t = 1500
    meta.announce(ann({ kind: 'resource', hashes: [h2], replace: true }), alive)
    expect(meta.stats()).toEqual({ light: 0, resource: 1, slices: 1 })
    expect(meta.lookup([h1], 8, alive).get(h1)).toEqual([])
  })

  it('caps the slices indexed over all peers, whatever the number of peer ids', () => {
    const meta = createMetaService({ manifests: noManifests, maxIndexedSlices: 3 })
    const hashes = [1, 2, 3, 4].map((n) => computeSliceHash(n, Uint8Array.of(n), fileHash))
    const at = (id: string) => ({ peer: peer(id), remoteAddr: '/ip4/10.0.0.5/tcp/1' })
    meta.announce(ann({ hashes: hashes.slice(0, 2) }), at('a'))
    meta.announce(ann({ hashes: hashes.slice(2, 3) }), at('b'))
    expect(() => meta.announce(ann({ hashes: hashes.slice(3) }), at('c'))).toThrow(
      expect.objectContaining({ name: 'InvalidArgumentError' }),
    )
    // Room comes back as peers withdraw or leave.
    meta.withdraw([hashes[0] as (typeof hashes)[number]], at('a'))
    meta.announce(ann({ hashes: hashes.slice(3) }), at('c'))
    meta.peerDisconnected('b')
    meta.announce(ann({ hashes: hashes.slice(2, 3) }), at('d'))
    expect(meta.stats().slices).toBe(3)
  })
})

describe('helpers', () => {
  it('network distance', () => {
    expect(networkDistance('/ip4/10.0.0.1/tcp/1', '/ip4/10.0.0.1/tcp/2')).toBe(0)
    expect(networkDistance('/ip4/10.0.0.1/tcp/1', '/ip4/10.0.0.2/tcp/2')).toBeLessThan(
      networkDistance('/ip4/10.0.0.1/tcp/1', '/ip4/11.0.0.1/tcp/2'),
    )
    expect(networkDistance(undefined, '/ip4/10.0.0.1')).toBe(64)
  })

  it('range parsing', () => {
    expect(parseRange(undefined, 100)).toBeUndefined()
    expect(parseRange('bytes=0-9', 100)).toEqual({ start: 0, end: 9 })
    expect(parseRange('bytes=90-', 100)).toEqual({ start: 90, end: 99 })
    expect(parseRange('bytes=-10', 100)).toEqual({ start: 90, end: 99 })
    expect(parseRange('bytes=95-200', 100)).toEqual({ start: 95, end: 99 })
    expect(parseRange('bytes=100-', 100)).toBe('unsatisfiable')
    expect(parseRange('bytes=5-1', 100)).toBe('unsatisfiable')
    expect(parseRange('bytes=0-1,5-6', 100)).toBeUndefined()
    expect(parseRange('items=0-1', 100)).toBeUndefined()
  })

  it("answers which owners signed a file's manifests from its store, and none from a store that cannot list them", async () => {
    const ctx = { peer: peer('asker'), remoteAddr: '/ip4/10.0.0.4/tcp/1' }
    const listed = [`0x${'ab'.repeat(20)}`, `0x${'cd'.repeat(20)}`]
    const meta = createMetaService({
      manifests: { ...noManifests, manifestOwners: (h) => (h === fileHash ? listed : []) },
    })
    expect(await meta.manifestOwners(fileHash, ctx)).toEqual(listed)
    expect(await meta.manifestOwners(computeFileHash(Uint8Array.of(7)), ctx)).toEqual([])
    expect(await createMetaService({ manifests: noManifests }).manifestOwners(fileHash, ctx)).toEqual([])
  })
})

describe('who is a resource node (closed registry)', () => {
  const ctx = (id: string) => ({ peer: peer(id), remoteAddr: '/ip4/127.0.0.1/tcp/1' })

  it('only the nodes it runs and the listed peers are resource nodes; others are refused and capped', () => {
    const meta = createMetaService({
      manifests: noManifests,
      closedRegistry: true,
      resourcePeers: ['listed'],
      maxSlicesPerUnregisteredPeer: 1,
    })
    meta.registerLocal('self', ann({ kind: 'resource', freeBytes: 1e9 }), '/ip4/127.0.0.1/tcp/0')
    meta.announce(ann({ kind: 'resource', freeBytes: 1e9 }), ctx('listed'))
    // A stranger cannot announce itself a resource node, so it is never placed on nor forwarded to.
    expect(() => meta.announce(ann({ kind: 'resource', freeBytes: 1e12 }), ctx('stranger'))).toThrow(
      expect.objectContaining({ name: 'InvalidArgumentError' }),
    )
    const placed = meta.place({ fileHash, size: 1, replicas: 8, exclude: [] }, ctx('client'))
    expect(placed.map((p) => p.peerId).sort()).toEqual(['listed', 'self'])
    expect(meta.resourceNodes(['stranger', 'listed']).map((p) => p.peerId)).toEqual(['listed'])
    // As a light node it may announce, within its cap.
    meta.announce(ann({ kind: 'light', hashes: [h1] }), ctx('stranger'))
    expect(() => meta.announce(ann({ kind: 'light', hashes: [h2] }), ctx('stranger'))).toThrow(
      expect.objectContaining({ name: 'InvalidArgumentError' }),
    )
    expect(meta.stats()).toMatchObject({ resource: 2, light: 1 })
  })
})
