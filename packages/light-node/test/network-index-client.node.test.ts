/**
 * The light node's index client against a real resource node running the meta service, over WebSockets:
 * each owner's manifest of a file, and the one the meta service chose for a bare file hash.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import type { Libp2p } from '@libp2p/interface'
import { webSockets } from '@libp2p/websockets'
import {
  computeSliceHash,
  createManifest,
  decodeManifest,
  encodeManifest,
  generateKeyPair,
  type KeyPair,
  MIN_SLICE_SIZE,
  signManifest,
  sliceFile,
  toEvmAddress,
} from '@stratos-edge/core'
import { createLogger, createResourceNode, type ResourceNode } from '@stratos-edge/resource-node'
import { createLibp2p } from 'libp2p'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createNetworkIndex } from '../src/node/network-index-client.js'

describe('the network index against a real meta service', () => {
  let meta: ResourceNode
  let client: Libp2p
  let dir: string

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stratos-light-index-'))
    meta = await createResourceNode(
      { dataDir: dir, meta: true, tcpPort: 0, wsPort: 0, httpPort: 0 },
      { logger: createLogger({ level: 'error' }) },
    )
    await meta.start()
    client = await createLibp2p({
      transports: [webSockets()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
    })
  })

  afterAll(async () => {
    await client?.stop()
    await meta?.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it("answers each owner's manifest, and one of them for a bare file hash", async () => {
    const bytes = new Uint8Array(2 * MIN_SLICE_SIZE + 7).map((_, i) => (i * 7) & 0xff)
    const sliced = await sliceFile(bytes, { sliceSize: MIN_SLICE_SIZE })
    const signed = (owner: KeyPair, layout = sliced) =>
      encodeManifest(signManifest(createManifest({ sliced: layout, owner: owner.address }), owner.privateKey))
    const victim = generateKeyPair()
    const stranger = generateKeyPair()
    // The stranger's names the same file hash with other slices.
    const other = sliced.slices.map((s) => ({
      ...s,
      hash: computeSliceHash(s.number, Uint8Array.of(s.number), sliced.fileHash),
    }))
    const index = createNetworkIndex(client, {
      resourceNodes: [meta.readyInfo().wsMultiaddrs[0]!],
      selfAddresses: () => [],
      freeBytes: () => 0,
    })
    await index.putManifest(signed(stranger, { ...sliced, slices: other }))
    await index.putManifest(signed(victim))
    // By bare hash, the manifest the meta service chose (which one is the server's choice); by owner, that owner's.
    const chosen = decodeManifest((await index.getManifest(sliced.fileHash))!)
    expect([toEvmAddress(stranger.address), toEvmAddress(victim.address)]).toContain(
      toEvmAddress(chosen.owner),
    )
    const victims = decodeManifest((await index.getManifest(sliced.fileHash, toEvmAddress(victim.address)))!)
    expect(victims.slices.map((s) => s.hash)).toEqual(sliced.slices.map((s) => s.hash))
  })
})
