import { generateKeyPair } from '@libp2p/crypto/keys'
import type { Libp2p } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { describe, expect, it } from 'vitest'
import { createReplicator } from '../src/index.js'
import { makeFile, quietLogger } from './helpers.js'
import { idleNodeMetrics } from './support/idle-node-metrics.js'

const newPeerId = async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519'))

describe('replicator', () => {
  it('forgets targets whose push session never opened (forward lists may name any peer)', async () => {
    const metrics = idleNodeMetrics()
    const [slice] = (await makeFile(20_000, 16_384)).slices
    let dials = 0
    const libp2p = {
      peerId: await newPeerId(),
      peerStore: { merge: async () => {} },
      dialProtocol: async () => {
        dials++
        throw new Error('unreachable peer')
      },
    } as unknown as Pick<Libp2p, 'dialProtocol' | 'peerStore' | 'peerId'>
    const replicator = createReplicator({
      libp2p,
      store: { get: async () => slice },
      logger: quietLogger,
      metrics,
    })
    const targets = await Promise.all(
      [1, 2, 3].map(async () => ({ peerId: (await newPeerId()).toString(), multiaddrs: [] })),
    )
    replicator.replicate(slice!.hash, targets)
    await replicator.idle()
    expect(dials).toBe(6) // each tried twice
    const failed = (await metrics.replications.get()).values.find((v) => v.labels.result === 'failed')
    expect(failed?.value).toBe(3)
    expect(replicator.targetCount).toBe(0)
    await replicator.stop()
  })
})
