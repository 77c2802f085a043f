/**
 * Uploads owned by a page's wallet, through the real page client and the real worker-side service over a
 * real comlink MessageChannel: the worker asks the page to sign (a proxied callback), so only signatures
 * cross. The network edges are faked (no libp2p, a recording index); the store is a real IndexedDB
 * (fake-indexeddb). The wallet is an EIP-1193 stand-in that signs `eth_signTypedData_v4` with a key it
 * holds, as a browser wallet does (the Chromium e2e uses anvil's).
 */
import type { Libp2p } from '@libp2p/interface'
import {
  decodeManifest,
  type Eip1193Provider,
  generateKeyPair,
  type KeyPair,
  MIN_SLICE_SIZE,
  parseSdmUri,
  privateKeySigner,
  signTypedData,
  type TypedData,
  toEvmAddress,
} from '@stratos-edge/core'
import { expose } from 'comlink'
import { IDBFactory } from 'fake-indexeddb'
import 'fake-indexeddb/auto'
import { afterEach, describe, expect, it } from 'vitest'
import type { LightNode } from '../src/client/create-light-node.js'
import { startWorkerNode } from '../src/client/worker-node.js'
import { LightNodeService } from '../src/node/light-node-service.js'
import type { NetworkIndex } from '../src/node/network-index.js'
import type { Runtime } from '../src/node/runtime.js'
import { createIdbSliceStore, type IdbSliceStore } from '../src/store/idb-slice-store.js'

const SIZE = 2 * MIN_SLICE_SIZE + 10
const file = () => new Uint8Array(SIZE).map((_, i) => (i * 7 + 3) & 0xff)

/** A worker stand-in serving the real service on the API port it is handed; answers the heartbeat. */
class StandInWorker extends EventTarget {
  private port: MessagePort | undefined
  constructor(private readonly service: LightNodeService) {
    super()
  }
  postMessage(message: unknown): void {
    const port = (message as { stratosEdgeApiPort?: MessagePort }).stratosEdgeApiPort
    if (port) {
      this.port = port
      expose(this.service, port)
    }
    const ping = (message as { stratosEdgePing?: number }).stratosEdgePing
    if (ping !== undefined)
      setTimeout(() => this.dispatchEvent(new MessageEvent('message', { data: { stratosEdgePong: ping } })))
  }
  terminate(): void {
    this.port?.close()
  }
}

/** A wallet on the page: one account; `refuse` plays the user pressing "Reject". */
function injectedWallet(key: KeyPair, behaviour: { refuse?: boolean; hang?: boolean } = {}) {
  const asked: { method: string; params?: readonly unknown[] }[] = []
  const provider: Eip1193Provider = {
    async request(args) {
      asked.push(args)
      if (args.method === 'eth_accounts') return [key.evmAddress]
      if (args.method !== 'eth_signTypedData_v4') throw new Error(`unexpected ${args.method}`)
      if (behaviour.hang) return new Promise(() => {})
      if (behaviour.refuse) throw Object.assign(new Error('User rejected the request.'), { code: 4001 })
      const [account, json] = args.params as [string, string]
      if (toEvmAddress(account) !== key.evmAddress) throw new Error('unknown account')
      const { types, ...rest } = JSON.parse(json) as TypedData
      const { EIP712Domain: _domain, ...structs } = types
      return `0x${Buffer.from(signTypedData({ ...rest, types: structs }, key.privateKey)).toString('hex')}`
    },
  }
  return { provider, asked }
}

let node: LightNode | undefined
afterEach(async () => {
  await node?.stop()
  node = undefined
})

/** A page client on a real service whose runtime is a store, a recording index and no network. */
async function startNode(name: string) {
  const store: IdbSliceStore = await createIdbSliceStore(
    { name },
    { indexedDB: new IDBFactory(), estimate: async () => undefined },
  )
  const published: Uint8Array[] = []
  const index: NetworkIndex = {
    announce: async () => {},
    withdraw: async () => {},
    lookup: async () => new Map(),
    place: async () => [],
    putManifest: async (m) => void published.push(m),
    getManifest: async () => undefined,
  }
  const nodeKey = generateKeyPair()
  const runtime: Runtime = {
    peerId: 'self',
    libp2p: {} as Libp2p,
    store,
    index,
    owner: nodeKey,
    served: { slices: 0, bytes: 0, rejectedStreams: 0 },
    reachableAddresses: () => [],
    stop: async () => {},
  }
  const service = new LightNodeService({ startRuntime: async () => runtime })
  const worker = new StandInWorker(service)
  node = await startWorkerNode({
    resourceNodes: [],
    replicas: 0,
    sliceSize: MIN_SLICE_SIZE,
    worker: worker as unknown as Worker,
  })
  return { node, store, published, nodeKey }
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
