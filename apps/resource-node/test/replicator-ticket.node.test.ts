import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import type { Libp2p } from '@libp2p/interface'
import { tcp } from '@libp2p/tcp'
import { createMemorySliceStore, registerSliceProtocols } from '@stratos-edge/protocol'
import { createLibp2p } from 'libp2p'
import { afterAll, describe, expect, it } from 'vitest'
import { createNodeMetrics, createReplicator } from '../src/index.js'
import { makeFile, quietLogger, until } from './helpers.js'

const listener = (): Promise<Libp2p> =>
  createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
  })

describe('replicator: the ticket goes along, and a replica that refuses it still gets the copy', () => {
  const nodes: Libp2p[] = []
  afterAll(async () => {
    for (const n of nodes) await n.stop()
  })

  it('sends the ticket in the push header; retries without it when the ticket is refused', async () => {
    const [source, friendly, older] = await Promise.all([listener(), listener(), listener()])
    nodes.push(source, friendly, older)
    const file = await makeFile(2 * 16_384, 16_384)
    const ticket = Uint8Array.of(1, 2, 3, 4)
    const seen: Array<Uint8Array | undefined> = []
    const friendlyStore = createMemorySliceStore()
    await registerSliceProtocols(friendly, {
      store: friendlyStore,
      admitPush: (header) => void seen.push(header.ticket),
    })
    // Like a node that takes copies from registered nodes only without a ticket it cannot check.
    const olderStore = createMemorySliceStore()
    await registerSliceProtocols(older, {
      store: olderStore,
      admitPush: (header) => {
        if (header.ticket) throw new Error('unknown ticket issuer')
      },
    })
    const metrics = createNodeMetrics({
      storeUsedBytes: () => 0,
      storeMaxBytes: () => 0,
      storeSlices: () => 0,
      connections: () => 0,
    })
    const bySlice = new Map(file.slices.map((s) => [s.hash, s]))
    const replicator = createReplicator({
      libp2p: source,
      store: { get: async (hash) => bySlice.get(hash) },
      logger: quietLogger,
      metrics,
    })
    const target = (n: Libp2p) => ({ peerId: n.peerId.toString(), multiaddrs: n.getMultiaddrs().map(String) })
    for (const s of file.slices) replicator.replicate(s.hash, [target(friendly), target(older)], ticket)
    await replicator.idle()
    await until(
      async () =>
        (await olderStore.has(file.slices[1]!.hash)) && (await friendlyStore.has(file.slices[1]!.hash)),
    )
    expect(seen.map((t) => (t ? [...t] : t))).toEqual([
      [1, 2, 3, 4],
      [1, 2, 3, 4],
    ])
    for (const s of file.slices) expect(await olderStore.has(s.hash)).toBe(true)
    const ok = (await metrics.replications.get()).values.find((v) => v.labels.result === 'ok')
    expect(ok?.value).toBe(4)
    await replicator.stop()
  })
})
