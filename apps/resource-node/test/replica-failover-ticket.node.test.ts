/**
 * An upload whose first node dies fails over to the replica with the same exact-sized ticket: the copies
 * the first node sent on were not counted against the ticket there, and the slices the replica already
 * holds cost nothing when resent. Both ways a light node sends slices: libp2p push and HTTP upload.
 */
import type { Libp2p } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { generateKeyPair, toHex } from '@stratos-edge/core'
import { type PeerAddress, pushSlice, type SliceRecord, uploadSlice } from '@stratos-edge/protocol'
import { afterEach, describe, expect, it } from 'vitest'
import { createResourceNode, loadOrCreatePeerKey, type ResourceNode } from '../src/index.js'
import { createClient, makeFile, ownerUploadTicket, quietLogger, tempDir, until } from './helpers.js'

const NETWORK = 31337
const SLICE = 256 * 1024
const SLICES = 4

/** Sends one slice to a node with the ticket, asking it to copy the slice on to `forward`. */
type Send = (
  client: Libp2p,
  node: ResourceNode,
  slice: SliceRecord,
  ticket: Uint8Array,
  forward: PeerAddress[],
) => Promise<unknown>

const viaLibp2p: Send = (client, node, slice, ticket, forward) =>
  pushSlice(client, multiaddr(node.readyInfo().multiaddrs[0] as string), slice, { ticket, forward })
const viaHttp: Send = (_, node, slice, ticket, forward) =>
  uploadSlice(node.gatewayUrl, slice, { ticket: toHex(ticket), forward })

describe('an upload fails over to the replica with the same exact-sized ticket', () => {
  const issuer = generateKeyPair()
  const cleanups: Array<() => Promise<void>> = []

  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c()
  })

  /** The replica runs the meta service; its closed registry names the first node, which copies to it. */
  const startPair = async (): Promise<{ first: ResourceNode; replica: ResourceNode; client: Libp2p }> => {
    const dirs = await Promise.all([tempDir('failover-first'), tempDir('failover-replica')])
    cleanups.push(...dirs.map((d) => d.cleanup))
    const firstKey = await loadOrCreatePeerKey(dirs[0].dir)
    const tickets = { network: NETWORK, issuers: [issuer.evmAddress] }
    const ports = { tcpPort: 0, wsPort: 0, httpPort: 0, rateLimits: false as const, tickets }
    const replica = await createResourceNode(
      {
        dataDir: dirs[1].dir,
        meta: true,
        ...ports,
        resourcePeers: [peerIdFromPrivateKey(firstKey).toString()],
      },
      { logger: quietLogger },
    )
    await replica.start()
    cleanups.push(() => replica.stop())
    const first = await createResourceNode(
      { dataDir: dirs[0].dir, ...ports, bootstrap: [replica.readyInfo().multiaddrs[0] as string] },
      { logger: quietLogger, privateKey: firstKey },
    )
    await first.start()
    cleanups.push(() => first.stop().catch(() => {}))
    await until(() => replica.metaService?.stats().resource === 2)
    const client = await createClient()
    cleanups.push(async () => {
      await client.stop()
    })
    return { first, replica, client }
  }

  it.each([
    ['libp2p push', viaLibp2p],
    ['HTTP upload', viaHttp],
  ])('over %s: every slice resent to the replica after the first node stops is stored', async (_, send) => {
    const { first, replica, client } = await startPair()
    const file = await makeFile(SLICES * SLICE, SLICE)
    const ticket = ownerUploadTicket(issuer, NETWORK, SLICES * SLICE) // exactly the file, as issued
    const holds = async (node: ResourceNode, slices: SliceRecord[]) =>
      (await Promise.all(slices.map((s) => node.store.has(s.hash)))).filter(Boolean).length
    const forward = [{ peerId: replica.peerId.toString(), multiaddrs: replica.readyInfo().multiaddrs }]
    for (const slice of file.slices.slice(0, 2)) await send(client, first, slice, ticket, forward)
    await first.replicationIdle()
    await until(async () => (await holds(replica, file.slices)) === 2, 10_000)
    await first.stop()
    // The client fails over: every slice again, to the replica, with the same ticket.
    for (const slice of file.slices) await send(client, replica, slice, ticket, [])
    expect(await holds(replica, file.slices)).toBe(SLICES)
  })
})
