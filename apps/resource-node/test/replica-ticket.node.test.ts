import type { Libp2p } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { encodeTicket, generateKeyPair, issueTicket, type Ticket, toHex } from '@stratos-edge/core'
import { pushSlice, type SliceRecord, uploadSlice } from '@stratos-edge/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createResourceNode, loadOrCreatePeerKey, type ResourceNode } from '../src/index.js'
import { createClient, makeFile, owner, quietLogger, tempDir, until } from './helpers.js'

const NETWORK = 31337
const SLICE = 256 * 1024
/** A slice file on disk: the bytes and a header (under 128 bytes). */
const FILE_ROOM = SLICE + 128

describe('slices copied on to a replica carry their ticket, so the replica spares them', () => {
  const issuer = generateKeyPair()
  const cleanups: Array<() => Promise<void>> = []
  let meta: ResourceNode
  let replica: ResourceNode
  let client: Libp2p

  const ticket = (): Ticket =>
    issueTicket(
      {
        kind: 'upload',
        network: NETWORK,
        owner: owner.address,
        holder: owner.address,
        bytesAllowed: 1n << 30n,
        expiresAt: Math.floor(Date.now() / 1000) + 3600,
      },
      issuer,
    )
  const holds = async (node: ResourceNode, slices: SliceRecord[]) =>
    (await Promise.all(slices.map((s) => node.store.has(s.hash)))).filter(Boolean).length

  beforeAll(async () => {
    const dirs = await Promise.all([tempDir('replica-meta'), tempDir('replica-store')])
    cleanups.push(...dirs.map((d) => d.cleanup))
    const replicaKey = await loadOrCreatePeerKey(dirs[1].dir)
    const tickets = { network: NETWORK, issuers: [issuer.evmAddress] }
    meta = await createResourceNode(
      {
        dataDir: dirs[0].dir,
        meta: true,
        tcpPort: 0,
        wsPort: 0,
        httpPort: 0,
        rateLimits: false,
        tickets,
        resourcePeers: [peerIdFromPrivateKey(replicaKey).toString()],
      },
      { logger: quietLogger },
    )
    await meta.start()
    // Room for three slices; unpaid slices make room at any age.
    replica = await createResourceNode(
      {
        dataDir: dirs[1].dir,
        tcpPort: 0,
        wsPort: 0,
        httpPort: 0,
        rateLimits: false,
        tickets,
        bootstrap: [meta.readyInfo().multiaddrs[0] as string],
        maxBytes: 3 * FILE_ROOM + 64 * 1024,
        unpaidGraceMs: 3_600_000,
        unpaidMinAgeForRoomMs: 0,
      },
      { logger: quietLogger, privateKey: replicaKey },
    )
    await replica.start()
    await until(() => meta.metaService?.stats().resource === 2)
    client = await createClient()
  })

  afterAll(async () => {
    await client?.stop()
    for (const n of [replica, meta]) await n?.stop()
    for (const c of cleanups) await c()
  })

  it('copies sent over HTTP and libp2p push stay while another upload fills the replica', async () => {
    const file = await makeFile(2 * SLICE, SLICE)
    const other = await makeFile(2 * SLICE, SLICE)
    const paid = encodeTicket(ticket())
    const forward = [{ peerId: replica.peerId.toString(), multiaddrs: replica.readyInfo().multiaddrs }]
    const [overHttp, pushed] = file.slices as [SliceRecord, SliceRecord]
    await uploadSlice(meta.gatewayUrl, overHttp, { ticket: toHex(paid), forward })
    await pushSlice(client, multiaddr(meta.readyInfo().multiaddrs[0] as string), pushed, {
      ticket: paid,
      forward,
    })
    await meta.replicationIdle()
    await until(async () => (await holds(replica, file.slices)) === 2, 10_000)
    // Another client fills the replica: the copies whose manifest is still to come must not make room.
    const otherTicket = toHex(encodeTicket(ticket()))
    await uploadSlice(replica.gatewayUrl, other.slices[0]!, { ticket: otherTicket })
    await expect(
      uploadSlice(replica.gatewayUrl, other.slices[1]!, { ticket: otherTicket }),
    ).rejects.toMatchObject({ name: 'StoreFullError' })
    expect(await holds(replica, file.slices)).toBe(2)
  })
})
