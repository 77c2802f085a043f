/**
 * The light node's index client against a real meta service whose per-peer index limit is tight: lookups
 * and announces wait out `RateLimitedError` a bounded number of times, and a long wait is not waited for.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import type { Libp2p } from '@libp2p/interface'
import { webSockets } from '@libp2p/websockets'
import { computeSliceHash, MIN_SLICE_SIZE, sliceFile } from '@stratos-edge/core'
import { createLogger, createResourceNode, type ResourceNode } from '@stratos-edge/resource-node'
import { createLibp2p } from 'libp2p'
import { afterAll, describe, expect, it } from 'vitest'
import { createNetworkIndex } from '../src/node/network-index-client.js'

describe('the network index waits out a meta service rate limit', () => {
  const nodes: ResourceNode[] = []
  const clients: Libp2p[] = []
  const dirs: string[] = []

  /** A meta service allowing `burst` index units at once, `perSecond` after; and a fresh client peer. */
  const setUp = async (perSecond: number, burst: number) => {
    const dir = await mkdtemp(join(tmpdir(), 'stratos-light-index-limit-'))
    dirs.push(dir)
    const meta = await createResourceNode(
      {
        dataDir: dir,
        meta: true,
        tcpPort: 0,
        wsPort: 0,
        httpPort: 0,
        rateLimits: { index: { requests: { perSecond, burst } } },
      },
      { logger: createLogger({ level: 'error' }) },
    )
    nodes.push(meta)
    await meta.start()
    const client = await createLibp2p({
      transports: [webSockets()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
    })
    clients.push(client)
    const index = createNetworkIndex(client, {
      resourceNodes: [meta.readyInfo().wsMultiaddrs[0] as string],
      selfAddresses: () => ['/ip4/127.0.0.1/tcp/1/ws'],
      freeBytes: () => 1 << 30,
    })
    const sliced = await sliceFile(new Uint8Array(MIN_SLICE_SIZE), { sliceSize: MIN_SLICE_SIZE })
    const hashes = Array.from({ length: 100 }, (_, i) =>
      computeSliceHash(i + 1, Uint8Array.of(i), sliced.fileHash),
    )
    return { index, hashes }
  }

  afterAll(async () => {
    for (const c of clients) await c.stop()
    for (const n of nodes) await n.stop()
    for (const d of dirs) await rm(d, { recursive: true, force: true })
  })

  it('lookups and announces past the burst wait and succeed', async () => {
    // 3 units at once, then one every 100 ms: the 4th request and later are refused once, then pass.
    const { index, hashes } = await setUp(10, 3)
    const started = Date.now()
    for (let i = 0; i < 6; i++) await index.lookup(hashes.slice(i, i + 1))
    // An announce of 100 hashes costs 2 units.
    await index.announce(hashes)
    await index.announce(hashes)
    const found = await index.lookup(hashes.slice(0, 1))
    expect(found.size).toBe(1)
    expect(Date.now() - started).toBeGreaterThanOrEqual(500)
  })

  it('a wait longer than it is willing to wait reaches the caller at once', async () => {
    // One unit at once, then one every 100 s.
    const { index, hashes } = await setUp(0.01, 1)
    await index.lookup(hashes.slice(0, 1))
    const started = Date.now()
    await expect(index.lookup(hashes.slice(0, 1))).rejects.toMatchObject({ name: 'RateLimitedError' })
    expect(Date.now() - started).toBeLessThan(5000)
  })
})
