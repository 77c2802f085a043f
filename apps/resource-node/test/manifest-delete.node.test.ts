// DELETE_MANIFEST on real libp2p: two resource nodes (meta + storage) and a client. The owner's signed
// delete drops its manifest on both (the gateway then answers 404 for its sdm:// URL); a stranger's
// delete of it is refused, and the stranger's own delete leaves the owner's manifest alone.
import type { Libp2p } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import { encodeManifestDelete, formatSdmUri, privateKeySigner, signManifestDelete } from '@stratos-edge/core'
import { createIndexClient, openSlicePush } from '@stratos-edge/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createResourceNode, type ResourceNode } from '../src/index.js'
import {
  createClient,
  makeFile,
  owner,
  quietLogger,
  stranger,
  type TestFile,
  tempDir,
  until,
} from './helpers.js'

describe('an owner deletes its manifest from the network', () => {
  let meta: ResourceNode
  let storage: ResourceNode
  let client: Libp2p
  let file: TestFile
  const cleanups: Array<() => Promise<void>> = []

  beforeAll(async () => {
    const d1 = await tempDir('del-meta')
    const d2 = await tempDir('del-storage')
    cleanups.push(d1.cleanup, d2.cleanup)
    meta = await createResourceNode(
      { dataDir: d1.dir, meta: true, tcpPort: 0, wsPort: 0, httpPort: 0 },
      { logger: quietLogger },
    )
    await meta.start()
    storage = await createResourceNode(
      { dataDir: d2.dir, tcpPort: 0, wsPort: 0, httpPort: 0, bootstrap: [meta.readyInfo().multiaddrs[0]!] },
      { logger: quietLogger },
    )
    await storage.start()
    client = await createClient()
    file = await makeFile(300_000, 65_536, 'video/mp4')
    await until(() => meta.metaService!.stats().resource === 2)
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
    await storage?.stop()
    await meta?.stop()
    for (const c of cleanups) await c()
  })

  const uri = () => formatSdmUri(owner.address, file.manifest.fileHash)
  const status = async (node: ResourceNode) =>
    (await fetch(`${node.gatewayUrl}/v1/files/${uri()}`, { method: 'HEAD' })).status
  const indexOf = (node: ResourceNode) =>
    createIndexClient(client, multiaddr(node.readyInfo().wsMultiaddrs[0]!))

  it('refuses a delete of the owner’s manifest signed by another key', async () => {
    // Both gateways serve it (the storage node keeps a copy of the manifest it fetched).
    expect(await status(meta)).toBe(200)
    expect(await status(storage)).toBe(200)
    expect(await storage.store.getManifest(file.manifest.fileHash, owner.evmAddress)).toBeDefined()
    const signed = await signManifestDelete(
      { network: 0, fileHash: file.manifest.fileHash },
      privateKeySigner(stranger.privateKey),
    )
    const forged = encodeManifestDelete({ ...signed, owner: owner.evmAddress })
    for (const node of [meta, storage])
      await expect(indexOf(node).deleteManifest(forged)).rejects.toMatchObject({ name: 'NotOwnerError' })
    // The stranger's own delete names its own (absent) manifest: nothing is dropped.
    expect(await indexOf(meta).deleteManifest(encodeManifestDelete(signed))).toBe(false)
    expect(await status(meta)).toBe(200)
    expect(await status(storage)).toBe(200)
  })

  it('drops the owner’s manifest on every node it is sent to: the gateway answers 404 for its URL', async () => {
    const del = encodeManifestDelete(
      await signManifestDelete(
        { network: 0, fileHash: file.manifest.fileHash },
        privateKeySigner(owner.privateKey),
      ),
    )
    expect(await indexOf(meta).deleteManifest(del)).toBe(true)
    // The meta service forwards it to the storage node too: sent there as well, it may find it gone.
    expect(typeof (await indexOf(storage).deleteManifest(del))).toBe('boolean')
    expect(await status(meta)).toBe(404)
    await until(async () => (await status(storage)) === 404)
    expect(meta.store.manifestOwners(file.manifest.fileHash)).toEqual([])
    // Sent again (a retry): nothing left to drop.
    expect(await indexOf(meta).deleteManifest(del)).toBe(false)
    // The bare hash has no manifest left either.
    expect(
      (await fetch(`${meta.gatewayUrl}/v1/files/${file.manifest.fileHash}`, { method: 'HEAD' })).status,
    ).toBe(404)
  })

  it('a replayed delete does not remove a manifest made after it was signed', async () => {
    const old = encodeManifestDelete(
      await signManifestDelete(
        {
          network: 0,
          fileHash: file.manifest.fileHash,
          signedAt: Math.floor(file.manifest.createdAt / 1000) - 60,
        },
        privateKeySigner(owner.privateKey),
      ),
    )
    await indexOf(meta).putManifest(file.manifestBytes)
    expect(await status(meta)).toBe(200)
    expect(await indexOf(meta).deleteManifest(old)).toBe(false)
    expect(await status(meta)).toBe(200)
  })
})
