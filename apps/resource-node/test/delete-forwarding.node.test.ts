// The meta service forwards an owner's signed delete to every registered resource node, on real libp2p:
// a client that knows only the meta service deletes its file, and every node's gateway then answers 404,
// including a node that was stopped during the delete and started again afterwards.
import type { Libp2p } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import { encodeManifestDelete, formatSdmUri, privateKeySigner, signManifestDelete } from '@stratos-edge/core'
import { createIndexClient, openSlicePush } from '@stratos-edge/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createResourceNode, type ResourceNode } from '../src/index.js'
import { createClient, makeFile, owner, quietLogger, type TestFile, tempDir, until } from './helpers.js'

describe('a delete sent to the meta service reaches every resource node', () => {
  let meta: ResourceNode
  const nodes: ResourceNode[] = []
  const dirs: string[] = []
  let client: Libp2p
  let file: TestFile
  const cleanups: Array<() => Promise<void>> = []

  const startNode = async (dir: string) => {
    const node = await createResourceNode(
      { dataDir: dir, tcpPort: 0, wsPort: 0, httpPort: 0, bootstrap: [meta.readyInfo().multiaddrs[0]!] },
      { logger: quietLogger },
    )
    return node
  }

  beforeAll(async () => {
    const m = await tempDir('fwd-meta')
    cleanups.push(m.cleanup)
    meta = await createResourceNode(
      { dataDir: m.dir, meta: true, tcpPort: 0, wsPort: 0, httpPort: 0 },
      { logger: quietLogger },
    )
    await meta.start()
    for (let i = 0; i < 3; i++) {
      const d = await tempDir(`fwd-node-${i}`)
      cleanups.push(d.cleanup)
      dirs.push(d.dir)
      const node = await startNode(d.dir)
      await node.start()
      nodes.push(node)
    }
    client = await createClient()
    file = await makeFile(300_000, 65_536, 'video/mp4')
    await until(() => meta.metaService!.stats().resource === 4)
    const index = createIndexClient(client, multiaddr(meta.readyInfo().wsMultiaddrs[0]!))
    const [first, second] = await index.place({ fileHash: file.manifest.fileHash, size: file.bytes.length })
    const session = await openSlicePush(
      client,
      multiaddr(first!.multiaddrs.find((a) => a.includes('/ws'))!),
      {
        window: 4,
      },
    )
    await Promise.all(file.slices.map((s) => session.push(s, { forward: second ? [second] : [] })))
    await session.close()
    await index.putManifest(file.manifestBytes)
  })

  afterAll(async () => {
    await client?.stop()
    for (const n of nodes) await n.stop().catch(() => {})
    await meta?.stop()
    for (const c of cleanups) await c()
  })

  const uri = () => formatSdmUri(owner.address, file.manifest.fileHash)
  const status = async (node: ResourceNode) =>
    (await fetch(`${node.gatewayUrl}/v1/files/${uri()}`, { method: 'HEAD' })).status
  const kept = async (node: ResourceNode) =>
    (await node.store.getManifest(file.manifest.fileHash, owner.evmAddress)) !== undefined
  /** The meta's `/metrics` shows `owed` node × delete pairs still owed. */
  const owedShown = async (owed: number) =>
    new RegExp(`^stratos_edge_meta_deletes_owed ${owed}$`, 'm').test(
      await (await fetch(`${meta.gatewayUrl}/metrics`)).text(),
    )

  it('drops the manifest on every node, one of them stopped during the delete', async () => {
    // Each gateway serves the file and keeps a copy of its manifest.
    for (const node of nodes) expect(await status(node)).toBe(200)
    for (const node of nodes) expect(await kept(node)).toBe(true)
    const stopped = nodes.pop()!
    await stopped.stop()

    const del = encodeManifestDelete(
      await signManifestDelete(
        { network: 0, fileHash: file.manifest.fileHash },
        privateKeySigner(owner.privateKey),
      ),
    )
    // The client knows only the meta service.
    expect(
      await createIndexClient(client, multiaddr(meta.readyInfo().wsMultiaddrs[0]!)).deleteManifest(del),
    ).toBe(true)
    expect(await status(meta)).toBe(404)
    for (const node of nodes) await until(async () => !(await kept(node)))
    for (const node of nodes) expect(await status(node)).toBe(404)
    await until(() => owedShown(1)) // owed to the stopped node only

    // Back (same data directory and peer id, new ports): it still holds the manifest, until the meta
    // service, told by its announcement, sends it the delete it missed.
    const back = await startNode(dirs[2]!)
    nodes.push(back)
    expect(await kept(back)).toBe(true)
    await back.start()
    await until(async () => !(await kept(back)))
    expect(await status(back)).toBe(404)
    await until(() => owedShown(0))
  })
})
