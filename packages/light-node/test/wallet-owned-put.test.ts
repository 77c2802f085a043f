/**
 * Uploads owned by a page's wallet, through the real page client and the real worker-side service over a
 * real comlink MessageChannel: the worker asks the page to sign (a proxied callback), so only signatures
 * cross. The network edges are faked (no libp2p, a recording index); the store is a real IndexedDB
 * (fake-indexeddb). The wallet is an EIP-1193 stand-in that signs `eth_signTypedData_v4` with a key it
 * holds, as a browser wallet does (the Chromium e2e uses anvil's).
 */
import {
  decodeManifest,
  generateKeyPair,
  MIN_SLICE_SIZE,
  parseSdmUri,
  privateKeySigner,
} from '@stratos-edge/core'
import { afterEach, describe, expect, it } from 'vitest'
import type { LightNode } from '../src/client/create-light-node.js'
import { injectedWallet } from './support/injected-wallet.js'
import { startOfflinePageNode } from './support/offline-page-node.js'

const SIZE = 2 * MIN_SLICE_SIZE + 10
const file = () => new Uint8Array(SIZE).map((_, i) => (i * 7 + 3) & 0xff)

let node: LightNode | undefined
afterEach(async () => {
  await node?.stop()
  node = undefined
})

/** A page client on a real service whose runtime is a store, a recording index and no network. */
async function startNode(name: string) {
  const published: Uint8Array[] = []
  const started = await startOfflinePageNode({
    name,
    index: { putManifest: async (m) => void published.push(m) },
  })
  node = started.node
  return { ...started, published }
}

describe('put with a wallet as owner', () => {
  it('publishes under the wallet’s st1 address a manifest the wallet signed (EIP-1193)', async () => {
    const { node, published } = await startNode('wallet')
    const wallet = generateKeyPair()
    const { provider, asked } = injectedWallet(wallet)
    const result = await node.put(file(), { signer: provider, name: 'a.bin' })
    expect(result.owner).toBe(wallet.address)
    expect(result.uri).toBe(`sdm://${wallet.address}/${result.fileHash}`)
    expect(parseSdmUri(result.uri).owner).toBe(wallet.address)
    // The wallet was asked once, for its own account, with the manifest's typed data.
    const signs = asked.filter((a) => a.method === 'eth_signTypedData_v4')
    expect(signs).toHaveLength(1)
    expect(signs[0]?.params?.[0]).toBe(wallet.evmAddress)
    expect(JSON.parse(signs[0]?.params?.[1] as string).primaryType).toBe('Manifest')
    // What the index got verifies (decodeManifest checks the signature) and names the wallet.
    expect(published).toHaveLength(1)
    const manifest = decodeManifest(published[0] as Uint8Array)
    expect(manifest.owner).toBe(wallet.evmAddress)
    expect(manifest.name).toBe('a.bin')
  })

  it('takes any { address, signTypedData } signer', async () => {
    const { node, published } = await startNode('signer')
    const wallet = generateKeyPair()
    const result = await node.put(file(), { signer: privateKeySigner(wallet.privateKey) })
    expect(result.uri).toBe(`sdm://${wallet.address}/${result.fileHash}`)
    expect(decodeManifest(published[0] as Uint8Array).owner).toBe(wallet.evmAddress)
  })

  it('signs with the node’s own key without a signer', async () => {
    const { node, published, nodeKey } = await startNode('own-key')
    const result = await node.put(file())
    expect(result.owner).toBe(nodeKey.address)
    expect(decodeManifest(published[0] as Uint8Array).owner).toBe(nodeKey.evmAddress)
  })

  it('fails with SignatureRejectedError when the user refuses, leaving nothing pinned or published', async () => {
    const { node, store, published } = await startNode('refused')
    const { provider } = injectedWallet(generateKeyPair(), { refuse: true })
    const failed = node.put(file(), { signer: provider })
    await expect(failed).rejects.toMatchObject({ name: 'SignatureRejectedError' })
    expect(published).toEqual([])
    expect(await store.listFiles()).toEqual([])
    expect(store.stat()).toMatchObject({ pinnedBytes: 0, slices: 0 })
  })

  it('ends with AbortedError when aborted while the wallet has not answered, leaving nothing pinned', async () => {
    const { node, store, published } = await startNode('unanswered')
    const { provider, asked } = injectedWallet(generateKeyPair(), { hang: true })
    const controller = new AbortController()
    const failed = node.put(file(), { signer: provider, signal: controller.signal })
    failed.catch(() => {})
    for (let i = 0; i < 100 && !asked.some((a) => a.method === 'eth_signTypedData_v4'); i++)
      await new Promise((r) => setTimeout(r, 20))
    controller.abort()
    await expect(failed).rejects.toMatchObject({ name: 'AbortedError' })
    expect(published).toEqual([])
    expect(store.stat()).toMatchObject({ pinnedBytes: 0, slices: 0 })
  })

  it('refuses a signature by another account than the signer claims (InvalidSignatureError)', async () => {
    const { node, store, published } = await startNode('impostor')
    const claimed = generateKeyPair()
    const actual = privateKeySigner(generateKeyPair().privateKey)
    const impostor = { address: claimed.evmAddress, signTypedData: actual.signTypedData }
    await expect(node.put(file(), { signer: impostor })).rejects.toMatchObject({
      name: 'InvalidSignatureError',
    })
    expect(published).toEqual([])
    expect(store.stat()).toMatchObject({ pinnedBytes: 0, slices: 0 })
  })
})
