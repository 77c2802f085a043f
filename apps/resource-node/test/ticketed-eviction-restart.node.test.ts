import type { Libp2p } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import { encodeTicket, generateKeyPair, issueTicket, type Ticket, toHex } from '@stratos-edge/core'
import { createIndexClient, uploadSlice } from '@stratos-edge/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createResourceNode, type ResourceNode } from '../src/index.js'
import { createClient, makeFile, owner, quietLogger, sameBytes, tempDir } from './helpers.js'

const NETWORK = 31337
const SLICE = 256 * 1024
/** A slice file on disk: the bytes and a header (under 128 bytes). */
const FILE_ROOM = SLICE + 128

describe('a restart mid-upload keeps the ticketed slices from eviction', () => {
  const issuer = generateKeyPair()
  const cleanups: Array<() => Promise<void>> = []
  let dataDir: string
  let node: ResourceNode | undefined
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
  /** A node on the data directory: room for five slices, unpaid slices evicted for room at any age. */
  const start = async (): Promise<ResourceNode> => {
    const n = await createResourceNode(
      {
        dataDir,
        meta: true,
        tcpPort: 0,
        wsPort: 0,
        httpPort: 0,
        rateLimits: false,
        maxBytes: 5 * FILE_ROOM + 64 * 1024,
        unpaidGraceMs: 3_600_000,
        unpaidMinAgeForRoomMs: 0,
        tickets: { network: NETWORK, issuers: [issuer.evmAddress] },
      },
      { logger: quietLogger },
    )
    await n.start()
    return n
  }

  beforeAll(async () => {
    const d = await tempDir('ticketed-restart')
    cleanups.push(d.cleanup)
    dataDir = d.dir
    client = await createClient()
  })

  afterAll(async () => {
    await client?.stop()
    await node?.stop()
    for (const c of cleanups) await c()
  })

  it('after the restart another upload evicts only unpaid slices, and the first upload commits', async () => {
    const file = await makeFile(3 * SLICE, SLICE)
    const other = await makeFile(2 * SLICE, SLICE)
    const abandoned = await makeFile(2 * SLICE, SLICE)
    const paid = encodeTicket(ticket())
    node = await start()
    for (const s of file.slices.slice(0, 2)) await uploadSlice(node.gatewayUrl, s, { ticket: toHex(paid) })
    // Slices nothing pays for (an upload whose ticket ran out long ago), stored after the first two.
    await new Promise((r) => setTimeout(r, 50))
    for (const s of abandoned.slices) await node.store.put(s)
    await node.stop()
    node = await start()
    // Another upload fills the store: the unpaid slices make room, not those whose manifest is to come.
    const otherTicket = toHex(encodeTicket(ticket()))
    for (const s of other.slices) await uploadSlice(node.gatewayUrl, s, { ticket: otherTicket })
    for (const s of file.slices.slice(0, 2)) expect(await node.store.has(s.hash)).toBe(true)
    // The upload goes on: its last slice, then its manifest.
    await uploadSlice(node.gatewayUrl, file.slices[2]!, { ticket: toHex(paid) })
    const index = createIndexClient(client, multiaddr(node.readyInfo().wsMultiaddrs[0] as string))
    await expect(index.putManifest(file.manifestBytes, { ticket: paid })).resolves.toBe(
      file.manifest.fileHash,
    )
    const res = await fetch(`${node.gatewayUrl}/v1/files/${file.manifest.fileHash}`)
    expect(res.status).toBe(200)
    expect(sameBytes(new Uint8Array(await res.arrayBuffer()), file.bytes)).toBe(true)
  })
})
