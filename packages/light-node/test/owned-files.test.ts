/**
 * The owned-file list and withdrawal through the real page client and the real worker-side service over a
 * real comlink MessageChannel (the wallet signs the delete on the page, asked from the worker). The
 * network edges are faked (no libp2p, a recording index); the store is a real IndexedDB (fake-indexeddb).
 * The node test with real resource nodes and their gateways is the resource node's manifest-delete test.
 */
import {
  decodeManifestDelete,
  generateKeyPair,
  MIN_SLICE_SIZE,
  verifyManifestDelete,
} from '@stratos-edge/core'
import { afterEach, describe, expect, it } from 'vitest'
import type { LightNode } from '../src/client/create-light-node.js'
import { injectedWallet } from './support/injected-wallet.js'
import { startOfflinePageNode } from './support/offline-page-node.js'

const SIZE = 2 * MIN_SLICE_SIZE + 10
const file = (seed = 3) => new Uint8Array(SIZE).map((_, i) => (i * 7 + seed) & 0xff)

let node: LightNode | undefined
afterEach(async () => {
  await node?.stop()
  node = undefined
})

/** A page client on a real service whose runtime is a store, an index recording deletes, no network. */
async function startNode(name: string, refuse?: Error) {
  const deletes: Uint8Array[] = []
  const started = await startOfflinePageNode({
    name,
    gatewayUrl: 'http://gateway.test/',
    index: {
      deleteManifest: async (request) => {
        if (refuse) throw refuse
        deletes.push(request)
        return ['meta-peer']
      },
    },
  })
  node = started.node
  return { ...started, deletes }
}

describe('files() and withdraw()', () => {
  it('lists owned uploads (not downloads), newest first, with links, from the store', async () => {
    const { node, nodeKey } = await startNode('list')
    const wallet = generateKeyPair()
    const a = await node.put(file(1), { name: 'a.mp4', mimeType: 'video/mp4' })
    await new Promise((r) => setTimeout(r, 5))
    const b = await node.put(file(2), { name: 'b.txt', signer: injectedWallet(wallet).provider })
    const files = await node.files()
    expect(files.map((f) => f.name)).toEqual(['b.txt', 'a.mp4'])
    expect(files[1]).toEqual({
      fileHash: a.fileHash,
      name: 'a.mp4',
      mimeType: 'video/mp4',
      size: SIZE,
      owner: nodeKey.evmAddress,
      uri: a.uri,
      gatewayUrl: `http://gateway.test/files/${a.uri}`,
      createdAt: expect.any(Number),
    })
    expect(files[0]).toMatchObject({
      owner: wallet.evmAddress,
      uri: b.uri,
      mimeType: 'application/octet-stream',
    })
  })

  it('withdraws a file of the node key: a delete signed by it for the network, then the local copy', async () => {
    const { node, store, deletes, nodeKey } = await startNode('own')
    const put = await node.put(file())
    const result = await node.withdraw(put.fileHash)
    expect(result).toEqual({ fileHash: put.fileHash, owner: nodeKey.evmAddress, deletedFrom: ['meta-peer'] })
    expect(deletes).toHaveLength(1)
    const del = decodeManifestDelete(deletes[0] as Uint8Array)
    // Network 0: this node has none (with one, uploads would need tickets from a meta service).
    expect(del).toMatchObject({ owner: nodeKey.evmAddress, fileHash: put.fileHash, network: 0 })
    expect(() => verifyManifestDelete(del, { network: 0, now: Math.floor(Date.now() / 1000) })).not.toThrow()
    expect(await node.files()).toEqual([])
    expect(await store.getFile(put.fileHash)).toBeUndefined()
    expect(store.stat()).toMatchObject({ pinnedBytes: 0, slices: 0 })
    // Its announcements are withdrawn by the runtime's store hook (not built here: see runtime.ts).
    await expect(node.withdraw(put.fileHash)).rejects.toMatchObject({ name: 'ManifestNotFoundError' })
  })

  it('asks the owning wallet to sign, and refuses without it (NotOwnerError)', async () => {
    const { node, deletes } = await startNode('wallet')
    const wallet = generateKeyPair()
    const { provider, asked } = injectedWallet(wallet)
    const put = await node.put(file(), { signer: provider })
    await expect(node.withdraw(put.fileHash)).rejects.toMatchObject({ name: 'NotOwnerError' })
    const other = injectedWallet(generateKeyPair()).provider
    await expect(node.withdraw(put.fileHash, { signer: other })).rejects.toMatchObject({
      name: 'NotOwnerError',
    })
    expect(deletes).toEqual([])
    expect(await node.files()).toHaveLength(1)
    await node.withdraw(put.fileHash, { signer: provider })
    const signs = asked.filter((a) => a.method === 'eth_signTypedData_v4')
    expect(JSON.parse(signs.at(-1)?.params?.[1] as string).primaryType).toBe('DeleteManifest')
    expect(decodeManifestDelete(deletes[0] as Uint8Array).owner).toBe(wallet.evmAddress)
    expect(await node.files()).toEqual([])
  })

  it('keeps the file when the network refuses the delete', async () => {
    const refusal = Object.assign(new Error('unreachable'), { name: 'NoProviderError' })
    const { node, store } = await startNode('refused', refusal)
    const put = await node.put(file())
    await expect(node.withdraw(put.fileHash)).rejects.toMatchObject({ name: 'NoProviderError' })
    expect(await node.files()).toHaveLength(1)
    expect(store.stat().pinnedBytes).toBe(SIZE)
  })
})
