// REGISTER_NODE_OWNER over real libp2p against a meta node in this process: once a provider and a
// downloader are both bound to one owner's wallet, the meta service refuses their receipts as
// self-dealing (and a stranger's are still paid); a binding not signed by both sides is refused, and
// bindings survive a restart of the meta node. A resource node started with its operator's key, or with
// a binding its operator signed offline, binds its own traffic key.
import type { Libp2p } from '@libp2p/interface'
import {
  computeSliceHash,
  decodeTicket,
  encodeDownloadTicketRequest,
  encodeNodeOwnerBinding,
  encodeReceipt,
  encodeTicketRequest,
  generateKeyPair,
  type KeyPair,
  privateKeySigner,
  signDownloadTicketRequest,
  signNodeOwnerBinding,
  signReceipt,
  signTicketRequest,
  toHex,
} from '@stratos-edge/core'
import { createIndexClient, type IndexClient } from '@stratos-edge/protocol'
import { afterAll, describe, expect, it } from 'vitest'
import { createResourceNode, type ResourceNodeInit } from '../src/index.js'
import { signOwnerBinding } from '../src/node/operator-binding-file.js'
import { loadOrCreateNodeEvmKey } from '../src/node/traffic-key.js'
import { openNodeOwnerBook } from '../src/traffic/index.js'
import { createClient, makeFile, owner, quietLogger, tempDir, until } from './helpers.js'

const NETWORK = 31337
const EPOCH_S = 600

/** A resource node running the meta service with download tickets and traffic settlement. */
async function startMetaNode(dataDir: string, extra: Partial<ResourceNodeInit> = {}) {
  const node = await createResourceNode(
    {
      dataDir,
      tcpPort: 0,
      wsPort: 0,
      httpPort: 0,
      meta: true,
      tickets: { network: NETWORK, freeOzone: 10n ** 9n },
      traffic: { verifierThreads: 0, epochSeconds: EPOCH_S },
      ...extra,
    },
    { logger: quietLogger },
  )
  await node.start()
  return node
}

describe('node-owner bindings over libp2p', () => {
  const stops: (() => Promise<unknown>)[] = []
  afterAll(async () => {
    for (const s of stops.reverse()) await s()
  })

  it('refuses receipts between two nodes of one owner as self-dealing', async () => {
    const { dir, cleanup } = await tempDir('meta-node-owners')
    stops.push(cleanup)
    const start = () => startMetaNode(dir)
    let node = await start()
    stops.push(() => node.stop())
    const peer: Libp2p = await createClient()
    stops.push(async () => peer.stop())
    const connect = () => createIndexClient(peer, node.multiaddrs[0] as (typeof node.multiaddrs)[number])
    let index: IndexClient = connect()

    const file = await makeFile(100_000, 65_536)
    const upload = await signTicketRequest(
      { network: NETWORK, bytes: 100_000n },
      privateKeySigner(owner.privateKey),
    )
    await index.putManifest(file.manifestBytes, {
      ticket: await index.requestTicket(encodeTicketRequest(upload)),
    })
    const sliceHash = computeSliceHash(1, new Uint8Array([1]), file.manifest.fileHash)
    const receiptFrom = async (downloader: KeyPair, provider: KeyPair) => {
      const request = await signDownloadTicketRequest(
        { network: NETWORK, fileHash: file.manifest.fileHash },
        privateKeySigner(downloader.privateKey),
      )
      const ticket = decodeTicket(await index.requestDownloadTicket(encodeDownloadTicketRequest(request)))
      const fields = {
        network: NETWORK,
        epoch: Math.floor(Date.now() / (EPOCH_S * 1000)),
        provider: provider.evmAddress,
        fileHash: file.manifest.fileHash,
        sliceHash,
        bytes: 1000,
        ticketId: ticket.id,
        nonce: 1n,
      }
      return encodeReceipt(signReceipt(fields, downloader))
    }
    const bind = async (node: KeyPair, wallet: KeyPair, network = NETWORK) =>
      encodeNodeOwnerBinding(
        await signNodeOwnerBinding(
          { network },
          { owner: privateKeySigner(wallet.privateKey), node: privateKeySigner(node.privateKey) },
        ),
      )

    const wallet = generateKeyPair()
    const provider = generateKeyPair()
    const downloader = generateKeyPair()
    const stranger = generateKeyPair()
    // Bound by both signatures: kept once, then a duplicate.
    expect(await index.registerNodeOwner(await bind(provider, wallet))).toEqual({ outcome: 'accepted' })
    expect(await index.registerNodeOwner(await bind(provider, wallet))).toEqual({ outcome: 'duplicate' })
    // Refused: the node's signature by another key (nobody binds another's node), another network, garbage.
    const forged = await signNodeOwnerBinding(
      { network: NETWORK },
      { owner: privateKeySigner(wallet.privateKey), node: privateKeySigner(stranger.privateKey) },
    )
    const claimed = encodeNodeOwnerBinding({ ...forged, node: downloader.evmAddress })
    expect(await index.registerNodeOwner(claimed)).toEqual({ outcome: 'rejected', reason: 'forged' })
    expect(await index.registerNodeOwner(await bind(downloader, wallet, 1))).toEqual({
      outcome: 'rejected',
      reason: 'wrong-network',
    })
    expect(await index.registerNodeOwner(new Uint8Array(10))).toEqual({
      outcome: 'rejected',
      reason: 'malformed',
    })

    // The downloader is not bound yet: its receipt pays the provider.
    expect(await index.submitReceipts([await receiptFrom(downloader, provider)])).toEqual({
      accepted: 1,
      rejected: [],
    })
    expect(await index.registerNodeOwner(await bind(downloader, wallet))).toEqual({ outcome: 'accepted' })

    // A restart keeps the bindings: from now on the pair shares an owner.
    await node.stop()
    node = await start()
    index = connect()
    expect(await index.submitReceipts([await receiptFrom(downloader, provider)])).toEqual({
      accepted: 0,
      rejected: [{ index: 0, reason: 'self-dealing' }],
    })
    // The wallet itself downloading from its node is self-dealing too; a stranger is still paid.
    expect(
      await index.submitReceipts([
        await receiptFrom(wallet, provider),
        await receiptFrom(stranger, provider),
      ]),
    ).toEqual({ accepted: 1, rejected: [{ index: 0, reason: 'self-dealing' }] })
  })

  it('binds a resource node’s traffic key to its operator’s wallet', async () => {
    const { dir, cleanup } = await tempDir('traffic-owner-binding')
    stops.push(cleanup)
    const operator = generateKeyPair()
    const nodeKey = await loadOrCreateNodeEvmKey(dir)
    const providerTraffic = { operatorKey: toHex(operator.privateKey), intervalMs: 100, selfReport: false }
    const node = await startMetaNode(dir, { providerTraffic })
    stops.push(() => node.stop())
    // A second connection to the meta service's book (WAL: it sees what the node committed).
    const book = openNodeOwnerBook({ dataDir: dir })
    stops.push(async () => book.close())
    await until(() => book.owners(nodeKey.evmAddress).length > 0, 10_000)
    expect(book.owners(nodeKey.evmAddress)).toEqual([operator.evmAddress])
    expect(book.bindings(nodeKey.evmAddress)[0]).toMatchObject({ network: NETWORK, node: nodeKey.evmAddress })
  })

  it('binds it from a binding its operator signed offline (no wallet key on the node)', async () => {
    const { dir, cleanup } = await tempDir('traffic-owner-binding-file')
    stops.push(cleanup)
    const operator = generateKeyPair()
    const nodeKey = await loadOrCreateNodeEvmKey(dir)
    const operatorBinding = await signOwnerBinding(
      { network: NETWORK, node: nodeKey.evmAddress },
      toHex(operator.privateKey),
    )
    const node = await startMetaNode(dir, {
      providerTraffic: { operatorBinding, intervalMs: 100, selfReport: false },
    })
    stops.push(() => node.stop())
    const book = openNodeOwnerBook({ dataDir: dir })
    stops.push(async () => book.close())
    await until(() => book.owners(nodeKey.evmAddress).length > 0, 10_000)
    expect(book.owners(nodeKey.evmAddress)).toEqual([operator.evmAddress])
  })
})
