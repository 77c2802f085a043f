/**
 * Registered resource nodes escape the per-peer limits only when the registry is closed: with an open
 * registry any peer may announce itself a resource node, so nobody is exempt.
 */
import type { Libp2p } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import { computeSliceHash } from '@stratos-edge/core'
import { createIndexClient } from '@stratos-edge/protocol'
import { afterEach, describe, expect, it } from 'vitest'
import { createResourceNode, type ResourceNode, type ResourceNodeInit } from '../src/index.js'
import { createClient, makeFile, quietLogger, tempDir } from './helpers.js'

const BURST = 20

describe('rate-limit exemption of peers announcing themselves resource nodes', () => {
  const nodes: ResourceNode[] = []
  const clients: Libp2p[] = []
  const cleanups: Array<() => Promise<void>> = []

  afterEach(async () => {
    for (const c of clients.splice(0)) await c.stop()
    for (const n of nodes.splice(0)) await n.stop()
    for (const c of cleanups.splice(0)) await c()
  })

  /** Starts a meta node, has `peer` announce itself a resource node, then floods it with lookups. */
  const floodAfterAnnouncing = async (
    peer: Libp2p,
    init: Partial<ResourceNodeInit>,
  ): Promise<{ ok: number; limited: number }> => {
    const d = await tempDir('exemption')
    cleanups.push(d.cleanup)
    const node = await createResourceNode(
      {
        dataDir: d.dir,
        meta: true,
        tcpPort: 0,
        wsPort: 0,
        httpPort: 0,
        rateLimits: { index: { requests: { perSecond: 1, burst: BURST } } },
        ...init,
      },
      { logger: quietLogger },
    )
    nodes.push(node)
    await node.start()
    const index = createIndexClient(peer, multiaddr(node.readyInfo().multiaddrs[0] as string))
    await index.announce({ kind: 'resource', multiaddrs: [], freeBytes: 1 << 30, replace: false })
    const file = await makeFile(16 * 1024, 16 * 1024)
    const hash = computeSliceHash(1, Uint8Array.of(1), file.manifest.fileHash)
    const out = { ok: 0, limited: 0 }
    for (let i = 0; i < BURST + 20; i++) {
      try {
        await index.lookup([hash], { timeout: 5000 })
        out.ok++
      } catch (err) {
        if ((err as Error).name !== 'RateLimitedError') throw err
        out.limited++
      }
    }
    return out
  }

  it('an open registry exempts nobody: a self-announced resource node is limited', async () => {
    const peer = await createClient()
    clients.push(peer)
    const { limited } = await floodAfterAnnouncing(peer, {})
    expect(limited).toBeGreaterThan(0)
  })

  it('a closed registry exempts the resource nodes it names', async () => {
    const peer = await createClient()
    clients.push(peer)
    const { ok, limited } = await floodAfterAnnouncing(peer, { resourcePeers: [peer.peerId.toString()] })
    expect({ ok, limited }).toEqual({ ok: BURST + 20, limited: 0 })
  })
})
