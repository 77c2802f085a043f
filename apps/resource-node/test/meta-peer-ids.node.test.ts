// A resource node takes a relayed delete older than core's window from its meta service even when the
// meta's bootstrap address has no /p2p/ and is not the first one: real libp2p, a real meta node and a
// real resource node; the meta's own libp2p sends the owner's signed delete, signed 10 minutes ago.
import {
  createManifest,
  encodeManifest,
  encodeManifestDelete,
  privateKeySigner,
  signManifest,
  signManifestDelete,
  sliceFile,
} from '@stratos-edge/core'
import { createIndexClient } from '@stratos-edge/protocol'
import { afterAll, describe, expect, it } from 'vitest'
import { createResourceNode, type ResourceNode } from '../src/index.js'
import { createMetaPeerIds, peerIdOfAddress } from '../src/node/meta-peer-ids.js'
import { owner, quietLogger, tempDir, until } from './helpers.js'

const someId = '12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo'
const relayId = '12D3KooWRBy97UB99e3J6hiPesre1MZeuNQvfan4gBziswrRJsNK'

describe('the meta service peer ids of a resource node', () => {
  it('reads the last /p2p/ of every bootstrap address, and learns one without it from its connection', () => {
    expect(peerIdOfAddress(`/ip4/127.0.0.1/tcp/1/p2p/${relayId}/p2p-circuit/p2p/${someId}`)).toBe(someId)
    expect(peerIdOfAddress('/ip4/127.0.0.1/tcp/1')).toBeUndefined()
    expect(peerIdOfAddress('not an address')).toBeUndefined()
    const warned: string[] = []
    const logger = { ...quietLogger, warn: (msg: string) => void warned.push(msg) }
    const bare = '/ip4/127.0.0.1/tcp/2'
    const ids = createMetaPeerIds([bare, `/ip4/127.0.0.1/tcp/3/p2p/${someId}`], logger)
    expect(ids.ids()).toEqual([someId])
    ids.reached('/ip4/10.0.0.9/tcp/4', { remotePeer: { toString: () => 'not-bootstrap' } as never })
    ids.reached(bare, { remotePeer: { toString: () => relayId } as never })
    expect(ids.ids().sort()).toEqual([someId, relayId].sort())
    ids.warnIfUnknown()
    expect(warned).toEqual([])
    createMetaPeerIds([bare], logger).warnIfUnknown()
    expect(warned).toHaveLength(1)
  })

  const cleanups: Array<() => Promise<void>> = []
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c()
  })

  it('takes a 10-minute-old delete relayed by a meta reached through an address without /p2p/', async () => {
    const m = await tempDir('mpi-meta')
    cleanups.push(m.cleanup)
    const meta: ResourceNode = await createResourceNode(
      { dataDir: m.dir, meta: true, tcpPort: 0, wsPort: 0, httpPort: 0 },
      { logger: quietLogger },
    )
    cleanups.push(() => meta.stop())
    await meta.start()
    const metaTcp = meta.readyInfo().multiaddrs[0]!
    const bare = metaTcp.replace(/\/p2p\/[^/]+$/, '')
    expect(bare).not.toContain('/p2p/')
    const n = await tempDir('mpi-node')
    cleanups.push(n.cleanup)
    // The meta is second, behind an address nobody listens on.
    const node = await createResourceNode(
      {
        dataDir: n.dir,
        tcpPort: 0,
        wsPort: 0,
        httpPort: 0,
        bootstrap: [`/ip4/127.0.0.1/tcp/9/p2p/${someId}`, bare],
      },
      { logger: quietLogger },
    )
    cleanups.push(() => node.stop())
    await node.start()

    const tenMinutesAgo = Math.floor(Date.now() / 1000) - 600
    const bytes = new Uint8Array(70_000).fill(7)
    const manifest = signManifest(
      createManifest({
        sliced: await sliceFile(bytes, { sliceSize: 65_536 }),
        owner: owner.address,
        name: 'old.mp4',
        mimeType: 'video/mp4',
        createdAt: (tenMinutesAgo - 60) * 1000,
      }),
      owner.privateKey,
    )
    await node.store.putManifest(encodeManifest(manifest))
    const del = encodeManifestDelete(
      await signManifestDelete(
        { network: 0, fileHash: manifest.fileHash, signedAt: tenMinutesAgo },
        privateKeySigner(owner.privateKey),
      ),
    )
    await until(() => meta.libp2p.getConnections(node.libp2p.peerId).length > 0)
    const index = createIndexClient(meta.libp2p, node.libp2p.peerId)
    // The meta's connection is made by the node's dial, so its id may be learned a moment later.
    await until(async () => {
      try {
        return await index.deleteManifest(del)
      } catch (error) {
        if ((error as Error).name !== 'DeleteExpiredError') throw error
        return false
      }
    }, 5_000)
    expect(await node.store.getManifest(manifest.fileHash, owner.evmAddress)).toBeUndefined()
  })
})
