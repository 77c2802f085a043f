/**
 * A light node binds its owner's wallet (`bindOwner`, and `put` with a signer) against a real resource
 * node running the meta service over real libp2p, on a real IndexedDB store (fake-indexeddb): the wallet
 * signs once, the meta service keeps the binding, and from then on receipts between the light node and
 * the wallet's other node, or the wallet itself, are refused as self-dealing; a stranger's are still paid.
 */

import { multiaddr } from '@multiformats/multiaddr'
import {
  computeSliceHash,
  decodeTicket,
  encodeDownloadTicketRequest,
  encodeNodeOwnerBinding,
  encodeReceipt,
  generateKeyPair,
  type KeyPair,
  MIN_SLICE_SIZE,
  privateKeySigner,
  signDownloadTicketRequest,
  signNodeOwnerBinding,
  signReceipt,
  type TypedDataSigner,
} from '@stratos-edge/core'
import { createIndexClient, type IndexClient } from '@stratos-edge/protocol'
import { openNodeOwnerBook } from '@stratos-edge/resource-node/traffic'
import { IDBFactory } from 'fake-indexeddb'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type MetaResourceNode, startMetaResourceNode } from './support/meta-resource-node.js'
import { startNetworkedService } from './support/networked-service.js'

const NETWORK = 31337
const EPOCH_S = 600

/** A wallet that counts the signatures it was asked for. */
function countingWallet(keys: KeyPair): TypedDataSigner & { signed: number } {
  const inner = privateKeySigner(keys.privateKey)
  const wallet = {
    address: inner.address,
    signed: 0,
    signTypedData: (data: Parameters<TypedDataSigner['signTypedData']>[0]) => {
      wallet.signed++
      return inner.signTypedData(data)
    },
  }
  return wallet
}

describe('light node owner binding (real libp2p, real meta service)', () => {
  let started: MetaResourceNode
  let index: IndexClient
  /** Signatures a put asks of a wallet already bound (set by the first test). */
  let putSignatures = 0

  beforeAll(async () => {
    started = await startMetaResourceNode('stratos-owner-binding-', {
      tickets: { network: NETWORK, freeOzone: 10n ** 9n },
      traffic: { verifierThreads: 0, epochSeconds: EPOCH_S },
    })
    index = createIndexClient(started.client, multiaddr(started.node.readyInfo().wsMultiaddrs[0] as string))
  })

  afterAll(async () => {
    await started?.close()
  })

  const serviceFor = (name: string, indexedDB = new IDBFactory(), network = NETWORK) =>
    startNetworkedService(started.node, started.client, {
      name,
      indexedDB,
      options: { replicas: 1, sliceSize: MIN_SLICE_SIZE, network, receipts: false },
    })

  /** A receipt from `downloader` to `provider` for a file uploaded by `service`. */
  const receiptFor = async (fileHash: string, downloader: KeyPair, provider: string) => {
    const request = await signDownloadTicketRequest(
      { network: NETWORK, fileHash: fileHash as never },
      privateKeySigner(downloader.privateKey),
    )
    const ticket = decodeTicket(await index.requestDownloadTicket(encodeDownloadTicketRequest(request)))
    const receipt = signReceipt(
      {
        network: NETWORK,
        epoch: Math.floor(Date.now() / (EPOCH_S * 1000)),
        provider,
        fileHash: fileHash as never,
        sliceHash: computeSliceHash(1, new Uint8Array([1]), fileHash as never),
        bytes: 1000,
        ticketId: ticket.id,
        nonce: 1n,
      },
      downloader,
    )
    return encodeReceipt(receipt)
  }

  it('binds the page wallet once; receipts with the wallet or its other node are then self-dealing', async () => {
    const db = new IDBFactory()
    const { service, owner: nodeKey } = await serviceFor('bind', db)
    const walletKeys = generateKeyPair()
    const wallet = countingWallet(walletKeys)
    const stranger = generateKeyPair()
    // The wallet's other node (a resource node it runs, say), bound by both keys.
    const otherNode = generateKeyPair()
    const other = await signNodeOwnerBinding(
      { network: NETWORK },
      { owner: privateKeySigner(walletKeys.privateKey), node: privateKeySigner(otherNode.privateKey) },
    )
    expect(await index.registerNodeOwner(encodeNodeOwnerBinding(other))).toEqual({ outcome: 'accepted' })

    const { fileHash } = await service.put(crypto.getRandomValues(new Uint8Array(1000)), {}, 'up')
    // Before the light node binds, its downloads from the wallet's other node are paid.
    expect(await index.submitReceipts([await receiptFor(fileHash, nodeKey, otherNode.evmAddress)])).toEqual({
      accepted: 1,
      rejected: [],
    })

    expect(await service.bindOwner(wallet)).toEqual({
      owner: walletKeys.evmAddress,
      node: nodeKey.evmAddress,
      outcome: 'accepted',
    })
    expect(wallet.signed).toBe(1)
    // The meta service's book keeps it.
    const book = openNodeOwnerBook({ dataDir: started.dir })
    try {
      expect(book.owners(nodeKey.evmAddress)).toEqual([walletKeys.evmAddress])
    } finally {
      book.close()
    }

    expect(
      await index.submitReceipts([
        // The light node downloading from the wallet's other node, and the other way round.
        await receiptFor(fileHash, nodeKey, otherNode.evmAddress),
        await receiptFor(fileHash, otherNode, nodeKey.evmAddress),
        // The wallet itself downloading from its light node.
        await receiptFor(fileHash, walletKeys, nodeKey.evmAddress),
        // A stranger is still paid.
        await receiptFor(fileHash, stranger, nodeKey.evmAddress),
      ]),
    ).toEqual({
      accepted: 1,
      rejected: [
        { index: 0, reason: 'self-dealing' },
        { index: 1, reason: 'self-dealing' },
        { index: 2, reason: 'self-dealing' },
      ],
    })

    // Remembered: binding again does not ask the wallet, nor does a put with it.
    expect((await service.bindOwner(wallet)).outcome).toBe('remembered')
    await service.put(crypto.getRandomValues(new Uint8Array(500)), {}, 'again', undefined, wallet)
    putSignatures = wallet.signed - 1
    expect(putSignatures).toBeGreaterThan(0)
    // A reload (same IndexedDB, same node key) remembers it too.
    const reloaded = await startNetworkedService(started.node, started.client, {
      name: 'bind',
      indexedDB: db,
      nodeKey,
      options: { replicas: 1, sliceSize: MIN_SLICE_SIZE, network: NETWORK, receipts: false },
    })
    expect((await reloaded.service.bindOwner(wallet)).outcome).toBe('remembered')
    expect(wallet.signed).toBe(1 + putSignatures)
  })

  it('a put with a wallet binds that wallet, best effort', async () => {
    const { service, owner: nodeKey } = await serviceFor('put-binds')
    const walletKeys = generateKeyPair()
    const wallet = countingWallet(walletKeys)
    await service.put(crypto.getRandomValues(new Uint8Array(1000)), {}, 'up', undefined, wallet)
    // The put's own signatures, and one for the binding.
    expect(wallet.signed).toBe(putSignatures + 1)
    const book = openNodeOwnerBook({ dataDir: started.dir })
    try {
      expect(book.owners(nodeKey.evmAddress)).toEqual([walletKeys.evmAddress])
    } finally {
      book.close()
    }
    expect((await service.bindOwner(wallet)).outcome).toBe('remembered')
  })

  it('a put whose wallet declines the binding still uploads; nothing is bound or remembered', async () => {
    const { service, owner: nodeKey } = await serviceFor('put-declines')
    const walletKeys = generateKeyPair()
    const wallet = countingWallet(walletKeys)
    const sign = wallet.signTypedData
    wallet.signTypedData = (data) => {
      if (data.primaryType === 'NodeOwnerBinding') {
        wallet.signed++
        return Promise.reject(Object.assign(new Error('User rejected the request.'), { code: 4001 }))
      }
      return sign(data)
    }
    const { fileHash } = await service.put(
      crypto.getRandomValues(new Uint8Array(1000)),
      {},
      'up',
      undefined,
      wallet,
    )
    expect(fileHash).toBeTruthy()
    expect(wallet.signed).toBe(putSignatures + 1)
    const book = openNodeOwnerBook({ dataDir: started.dir })
    try {
      expect(book.owners(nodeKey.evmAddress)).toEqual([])
    } finally {
      book.close()
    }
    // Not remembered: binding again asks the wallet again.
    wallet.signTypedData = sign
    expect((await service.bindOwner(wallet)).outcome).toBe('accepted')
    expect(wallet.signed).toBe(putSignatures + 2)
  })

  it('a refused binding is an OwnerBindingRefusedError and is not remembered', async () => {
    // Signed for another network than the meta service's.
    const { service } = await serviceFor('wrong-network', new IDBFactory(), 1)
    const wallet = countingWallet(generateKeyPair())
    const err = (await service.bindOwner(wallet).catch((e: unknown) => e)) as Error
    expect(err.name).toBe('OwnerBindingRefusedError')
    expect(err.message).toContain('wrong-network')
    const again = (await service.bindOwner(wallet).catch((e: unknown) => e)) as Error
    expect(again.name).toBe('OwnerBindingRefusedError')
    expect(wallet.signed).toBe(2)
  })
})
