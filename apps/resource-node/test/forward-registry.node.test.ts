import { createServer, type Server } from 'node:net'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { type SliceRecord, uploadSlice } from '@stratos-edge/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createResourceNode, loadOrCreatePeerKey, type ResourceNode } from '../src/index.js'
import { makeFile, quietLogger, type TestFile, tempDir, until } from './helpers.js'

describe('forwarding only to registered resource nodes', () => {
  let meta: ResourceNode
  let storage: ResourceNode
  let stranger: ResourceNode
  let file: TestFile
  /** A TCP listener no node may ever dial: uploaders name its address. */
  let trap: Server
  let trapAddr: string
  let trapped = 0
  const cleanups: Array<() => Promise<void>> = []

  beforeAll(async () => {
    trap = createServer((socket) => {
      trapped++
      socket.destroy()
    })
    await new Promise<void>((resolve) => trap.listen(0, '127.0.0.1', resolve))
    const port = (trap.address() as { port: number }).port
    trapAddr = `/ip4/127.0.0.1/tcp/${port}`

    const dirs = await Promise.all([tempDir('fw-meta'), tempDir('fw-storage'), tempDir('fw-stranger')])
    cleanups.push(...dirs.map((d) => d.cleanup))
    const storageKey = await loadOrCreatePeerKey(dirs[1].dir)
    meta = await createResourceNode(
      {
        dataDir: dirs[0].dir,
        meta: true,
        tcpPort: 0,
        wsPort: 0,
        httpPort: 0,
        resourcePeers: [peerIdFromPrivateKey(storageKey).toString()],
      },
      { logger: quietLogger },
    )
    await meta.start()
    const bootstrap = [meta.readyInfo().multiaddrs[0] as string]
    storage = await createResourceNode(
      { dataDir: dirs[1].dir, tcpPort: 0, wsPort: 0, httpPort: 0, bootstrap },
      { logger: quietLogger, privateKey: storageKey },
    )
    // Announces itself a resource node, but the registry does not list it.
    stranger = await createResourceNode(
      { dataDir: dirs[2].dir, tcpPort: 0, wsPort: 0, httpPort: 0, bootstrap },
      { logger: quietLogger },
    )
    await Promise.all([storage.start(), stranger.start()])
    file = await makeFile(2 * 64 * 1024, 64 * 1024)
    // The stranger's announcements as a resource node are refused: only the registered node is listed.
    await until(() => meta.metaService?.stats().resource === 2)
  })

  afterAll(async () => {
    for (const n of [stranger, storage, meta]) await n?.stop()
    await new Promise((r) => trap?.close(r))
    for (const c of cleanups) await c()
  })

  it('the meta node forwards to a registered node at its registered address, to nobody else', async () => {
    const slice = file.slices[0] as SliceRecord
    const unknown = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
    const forward = [
      { peerId: storage.peerId.toString(), multiaddrs: [trapAddr] },
      { peerId: stranger.peerId.toString(), multiaddrs: stranger.readyInfo().multiaddrs },
      { peerId: unknown, multiaddrs: [trapAddr, `${trapAddr}/p2p/${unknown}`] },
    ]
    expect((await uploadSlice(meta.gatewayUrl, slice, { forward })).stored).toBe('new')
    await meta.replicationIdle()
    await until(() => storage.store.has(slice.hash), 10_000)
    expect(await stranger.store.has(slice.hash)).toBe(false)
    expect(trapped).toBe(0)
  })

  it('a node without the meta service asks the registry too, and never dials an address it was given', async () => {
    const slice = file.slices[1] as SliceRecord
    const forward = [
      { peerId: meta.peerId.toString(), multiaddrs: [trapAddr] },
      { peerId: stranger.peerId.toString(), multiaddrs: [trapAddr] },
    ]
    expect((await uploadSlice(storage.gatewayUrl, slice, { forward })).stored).toBe('new')
    await storage.replicationIdle()
    await until(() => meta.store.has(slice.hash), 10_000)
    expect(await stranger.store.has(slice.hash)).toBe(false)
    expect(trapped).toBe(0)
  })
})
