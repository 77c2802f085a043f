// A resource node takes traffic receipts like any provider: it names its traffic key, holds the newest
// receipt per (downloader, ticket, epoch) in its data directory across a restart, and refuses others'.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import {
  computeFileHash,
  computeSliceHash,
  encodeReceipt,
  encodeTicket,
  generateKeyPair,
  issueTicket,
  keyPairFromPrivateKey,
  signReceipt,
} from '@stratos-edge/core'
import { sendReceipts } from '@stratos-edge/protocol'
import { afterAll, describe, expect, it } from 'vitest'
import { createResourceNode, type ResourceNode } from '../src/index.js'
import { createClient, quietLogger, tempDir } from './helpers.js'

const NETWORK = 31337

describe('resource node receipt exchange', () => {
  const cleanups: Array<() => Promise<void>> = []
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c()
  })

  const start = async (dir: string): Promise<ResourceNode> => {
    const node = await createResourceNode(
      {
        dataDir: dir,
        meta: true,
        host: '127.0.0.1',
        tcpPort: 0,
        wsPort: 0,
        httpPort: 0,
        tickets: { network: NETWORK, freeOzone: 1n << 30n },
      },
      { logger: quietLogger },
    )
    await node.start()
    return node
  }

  it('holds the newest receipt durably, under the address in its traffic key', async () => {
    const d = await tempDir('receipts')
    cleanups.push(d.cleanup)
    let node = await start(d.dir)
    const client = await createClient()
    cleanups.push(async () => void (await client.stop()))
    const key = keyPairFromPrivateKey((await readFile(join(d.dir, 'traffic.key'), 'utf8')).trim())
    const hello = await sendReceipts(client, node.multiaddrs, [])
    expect(hello.provider).toBe(key.evmAddress)
    expect(hello.network).toBe(NETWORK)

    const downloader = generateKeyPair()
    const fileHash = computeFileHash(new TextEncoder().encode('receipts for a resource node'))
    const sliceHash = computeSliceHash(1, new Uint8Array(4), fileHash)
    // A download ticket of the node's own meta service: the only receipts it credits are under one.
    const meta = keyPairFromPrivateKey((await readFile(join(d.dir, 'meta.key'), 'utf8')).trim())
    const ticket = issueTicket(
      {
        kind: 'download',
        network: NETWORK,
        owner: meta.evmAddress,
        holder: downloader.evmAddress,
        fileHash,
        bytesAllowed: 1n << 20n,
        expiresAt: Math.floor(Date.now() / 1000) + 3600,
      },
      meta,
    )
    const tickets = [encodeTicket(ticket)]
    const receipt = (bytes: number, nonce: bigint, provider = key.evmAddress, ticketId = ticket.id) =>
      encodeReceipt(
        signReceipt(
          {
            network: NETWORK,
            epoch: 5,
            provider,
            fileHash,
            sliceHash,
            bytes,
            ticketId,
            nonce,
          },
          downloader,
        ),
      )
    const reply = await sendReceipts(
      client,
      node.multiaddrs,
      [
        receipt(1000, 1n),
        receipt(3000, 2n),
        receipt(9000, 3n, generateKeyPair().evmAddress),
        receipt(9000, 4n, key.evmAddress, `0x${'11'.repeat(32)}`),
      ],
      { tickets },
    )
    expect(reply.accepted).toBe(2)
    expect(reply.rejected).toEqual([
      { index: 2, reason: 'wrong-provider' },
      { index: 3, reason: 'unknown-ticket' },
    ])

    await node.stop()
    node = await start(d.dir)
    cleanups.push(() => node.stop())
    // After the restart the held one is still the newest: an older one is stale.
    const again = await sendReceipts(client, node.multiaddrs, [receipt(2000, 2n - 1n)], { tickets })
    expect(again.rejected).toEqual([{ index: 0, reason: 'stale' }])
  })
})
