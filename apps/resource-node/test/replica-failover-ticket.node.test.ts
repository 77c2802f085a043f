/**
 * An upload whose first node dies fails over to the replica with the same exact-sized ticket: the copies
 * the first node sent on were not counted against the ticket there, and the slices the replica already
 * holds cost nothing when resent.
 */
import type { Libp2p } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { encodeTicket, generateKeyPair, issueTicket } from '@stratos-edge/core'
import { pushSlice, type SliceRecord } from '@stratos-edge/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createResourceNode, loadOrCreatePeerKey, type ResourceNode } from '../src/index.js'
import { createClient, makeFile, owner, quietLogger, tempDir, until } from './helpers.js'

const NETWORK = 31337
const SLICE = 256 * 1024
const SLICES = 4

describe('an upload fails over to the replica with the same exact-sized ticket', () => {
  const issuer = generateKeyPair()
  const cleanups: Array<() => Promise<void>> = []
  let first: ResourceNode
  let replica: ResourceNode
  let client: Libp2p

  beforeAll(async () => {
    const dirs = await Promise.all([tempDir('failover-first'), tempDir('failover-replica')])
    cleanups.push(...dirs.map((d) => d.cleanup))
    const firstKey = await loadOrCreatePeerKey(dirs[0].dir)
    const tickets = { network: NETWORK, issuers: [issuer.evmAddress] }
    // The replica runs the meta service; its closed registry names the first node.
    replica = await createResourceNode(
      {
        dataDir: dirs[1].dir,
        meta: true,
        tcpPort: 0,
        wsPort: 0,
        httpPort: 0,
        rateLimits: false,
        tickets,
        resourcePeers: [peerIdFromPrivateKey(firstKey).toString()],
      },
      { logger: quietLogger },
    )
    await replica.start()
    first = await createResourceNode(
      {
        dataDir: dirs[0].dir,
        tcpPort: 0,
        wsPort: 0,
        httpPort: 0,
        rateLimits: false,
        tickets,
        bootstrap: [replica.readyInfo().multiaddrs[0] as string],
      },
      { logger: quietLogger, privateKey: firstKey },
    )
    await first.start()
    await until(() => replica.metaService?.stats().resource === 2)
    client = await createClient()
  })

  afterAll(async () => {
    await client?.stop()
    for (const n of [first, replica]) await n?.stop().catch(() => {})
    for (const c of cleanups) await c()
  })

  it('resends every slice to the replica after the first node stops, and all are stored', async () => {
    const file = await makeFile(SLICES * SLICE, SLICE)
    const ticket = encodeTicket(
      issueTicket(
        {
          kind: 'upload',
          network: NETWORK,
          owner: owner.address,
          holder: owner.address,
          bytesAllowed: BigInt(SLICES * SLICE), // exactly the file, as the meta service issues them
          expiresAt: Math.floor(Date.now() / 1000) + 3600,
        },
        issuer,
      ),
    )
    const holds = async (node: ResourceNode, slices: SliceRecord[]) =>
      (await Promise.all(slices.map((s) => node.store.has(s.hash)))).filter(Boolean).length
    const forward = [{ peerId: replica.peerId.toString(), multiaddrs: replica.readyInfo().multiaddrs }]
    const toFirst = multiaddr(first.readyInfo().multiaddrs[0] as string)
    for (const slice of file.slices.slice(0, 2)) await pushSlice(client, toFirst, slice, { ticket, forward })
    await first.replicationIdle()
    await until(async () => (await holds(replica, file.slices)) === 2, 10_000)
    await first.stop()
    // The client fails over: every slice again, to the replica, with the same ticket.
    const toReplica = multiaddr(replica.readyInfo().multiaddrs[0] as string)
    for (const slice of file.slices) await pushSlice(client, toReplica, slice, { ticket })
    expect(await holds(replica, file.slices)).toBe(SLICES)
  })
})
