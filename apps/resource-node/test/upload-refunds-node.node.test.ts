// A meta node gives an owner back what an upload ticket reserved and the file did not use: with a free
// tier of 4 slices, a ticket for all 4 leaves nothing; committing a 2-slice file under it gives 2 back,
// so a new 2-slice ticket is granted (refused before the commit).
import type { Libp2p } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import {
  decodeTicket,
  encodeTicket,
  encodeTicketRequest,
  privateKeySigner,
  signTicketRequest,
  type Ticket,
  toHex,
} from '@stratos-edge/core'
import { createIndexClient, type IndexClient, uploadSlice } from '@stratos-edge/protocol'
import { afterAll, describe, expect, it } from 'vitest'
import { createResourceNode, type ResourceNode } from '../src/index.js'
import { createClient, makeFile, owner, quietLogger, tempDir, until } from './helpers.js'

const NETWORK = 31337
const SLICE = 64 * 1024

describe('upload refunds on a meta node', () => {
  let node: ResourceNode | undefined
  let client: Libp2p | undefined
  let cleanup: (() => Promise<void>) | undefined
  afterAll(async () => {
    await client?.stop()
    await node?.stop()
    await cleanup?.()
  })

  it('a commit with fewer bytes than the ticket gives the rest back at once', async () => {
    const d = await tempDir('upload-refunds')
    cleanup = d.cleanup
    node = await createResourceNode(
      {
        dataDir: d.dir,
        meta: true,
        tcpPort: 0,
        wsPort: 0,
        httpPort: 0,
        tickets: { network: NETWORK, freeOzone: BigInt(4 * SLICE) },
      },
      { logger: quietLogger },
    )
    await node.start()
    await until(() => node?.metaService?.stats().resource === 1)
    client = await createClient()
    const index: IndexClient = createIndexClient(
      client,
      multiaddr(node.readyInfo().wsMultiaddrs[0] as string),
    )
    const ticketFor = async (bytes: number): Promise<Ticket> => {
      const request = await signTicketRequest(
        { network: NETWORK, bytes: BigInt(bytes) },
        privateKeySigner(owner.privateKey),
      )
      return decodeTicket(await index.requestTicket(encodeTicketRequest(request)))
    }
    const ticket = await ticketFor(4 * SLICE)
    // All the free tier is reserved: another ticket is refused.
    await expect(ticketFor(2 * SLICE)).rejects.toHaveProperty('name', 'InsufficientOzoneError')
    const file = await makeFile(2 * SLICE, SLICE)
    for (const slice of file.slices) {
      expect(
        (await uploadSlice(node.gatewayUrl, slice, { ticket: toHex(encodeTicket(ticket)) })).stored,
      ).toBe('new')
    }
    await index.putManifest(file.manifestBytes, { ticket: encodeTicket(ticket) })
    // The 2 unused slices' ozone is back: a 2-slice ticket is granted, a third slice more is not.
    expect((await ticketFor(2 * SLICE)).bytesAllowed).toBe(BigInt(2 * SLICE))
    await expect(ticketFor(1)).rejects.toHaveProperty('name', 'InsufficientOzoneError')
  })
})
