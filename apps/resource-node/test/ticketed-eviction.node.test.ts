import type { Libp2p } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import { encodeTicket, generateKeyPair, issueTicket, type Ticket, toHex } from '@stratos-edge/core'
import { pushSlice, type SliceRecord, uploadSlice } from '@stratos-edge/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ResourceNode } from '../src/index.js'
import { createClient, makeFile, owner } from './helpers.js'
import { startTempNode } from './support/temp-node.js'

const NETWORK = 31337
const SLICE = 256 * 1024
/** A slice file on disk: the bytes and a header (under 128 bytes). */
const FILE_ROOM = SLICE + 128

describe('eviction spares the slices of an upload paid with a ticket (its manifest not come yet)', () => {
  const issuer = generateKeyPair()
  const cleanups: Array<() => Promise<void>> = []
  let node: ResourceNode
  let client: Libp2p

  /** A fresh upload ticket for `owner`, an hour long, signed by an issuer the node accepts. */
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
  const holds = async (slices: SliceRecord[]) =>
    (await Promise.all(slices.map((s) => node.store.has(s.hash)))).filter(Boolean).length

  beforeAll(async () => {
    const d = await startTempNode('ticketed-eviction', {
      meta: true,
      rateLimits: false,
      maxBytes: 4 * FILE_ROOM + 64 * 1024,
      unpaidGraceMs: 3_600_000,
      unpaidMinAgeForRoomMs: 0,
      tickets: { network: NETWORK, issuers: [issuer.evmAddress] },
    })
    cleanups.push(d.cleanup)
    node = d.node
    client = await createClient()
  })

  afterAll(async () => {
    await client?.stop()
    await node?.stop()
    for (const c of cleanups) await c()
  })

  it('a full store refuses (507) rather than evict ticketed slices sent over HTTP and libp2p', async () => {
    const overHttp = await makeFile(2 * SLICE, SLICE)
    const pushed = await makeFile(2 * SLICE, SLICE)
    const stranger = await makeFile(SLICE, SLICE)
    const httpTicket = toHex(encodeTicket(ticket()))
    for (const s of overHttp.slices) await uploadSlice(node.gatewayUrl, s, { ticket: httpTicket })
    const pushTicket = encodeTicket(ticket())
    const peer = multiaddr(node.readyInfo().multiaddrs[0] as string)
    for (const s of pushed.slices) await pushSlice(client, peer, s, { ticket: pushTicket })
    expect(await holds([...overHttp.slices, ...pushed.slices])).toBe(4)
    // The store is full: another client's upload must not push out slices whose manifest is still to come.
    await expect(
      uploadSlice(node.gatewayUrl, stranger.slices[0]!, { ticket: toHex(encodeTicket(ticket())) }),
    ).rejects.toMatchObject({ name: 'StoreFullError' })
    expect(await holds(overHttp.slices)).toBe(2)
    expect(await holds(pushed.slices)).toBe(2)
  })
})
