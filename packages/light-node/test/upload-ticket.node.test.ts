/**
 * Uploads with tickets on, against a real resource node running the meta service (ticket issuer, ozone
 * ledger with a small free allowance) and a real IndexedDB store (fake-indexeddb): the ticket is asked
 * for before the first byte, and an owner short of ozone gets a typed error before hashing begins.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Libp2p } from '@libp2p/interface'
import { generateKeyPair, MIN_SLICE_SIZE } from '@stratos-edge/core'
import { createLogger, createResourceNode, type ResourceNode } from '@stratos-edge/resource-node'
import { IDBFactory } from 'fake-indexeddb'
import 'fake-indexeddb/auto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PutProgress } from '../src/api-types.js'
import { LightNodeService } from '../src/node/light-node-service.js'
import { createNetworkIndex } from '../src/node/network-index-client.js'
import type { Runtime } from '../src/node/runtime.js'
import { createIdbSliceStore } from '../src/store/idb-slice-store.js'
import { createWsLibp2p } from './support/ws-libp2p.js'

const NETWORK = 31337
const FREE = 8 * MIN_SLICE_SIZE

describe('put with upload tickets', () => {
  let node: ResourceNode
  let client: Libp2p
  let dir: string

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stratos-ticket-put-'))
    node = await createResourceNode(
      {
        dataDir: dir,
        meta: true,
        tcpPort: 0,
        wsPort: 0,
        httpPort: 0,
        tickets: { network: NETWORK, freeOzone: BigInt(FREE) },
      },
      { logger: createLogger({ level: 'error' }) },
    )
    await node.start()
    client = await createWsLibp2p()
  })

  afterAll(async () => {
    await client?.stop()
    await node?.stop()
    await rm(dir, { recursive: true, force: true })
  })

  const serviceFor = async (name: string) => {
    const store = await createIdbSliceStore(
      { name },
      { indexedDB: new IDBFactory(), estimate: async () => undefined },
    )
    const resourceNodes = [node.readyInfo().wsMultiaddrs[0] as string]
    const runtime: Runtime = {
      peerId: 'self',
      libp2p: client,
      store,
      index: createNetworkIndex(client, { resourceNodes, selfAddresses: () => [], freeBytes: () => 0 }),
      owner: generateKeyPair(),
      served: { slices: 0, bytes: 0, rejectedStreams: 0 },
      reachableAddresses: () => [],
      stop: async () => {},
    }
    const service = new LightNodeService({ startRuntime: async () => runtime })
    await service.start({ resourceNodes, replicas: 1, sliceSize: MIN_SLICE_SIZE, network: NETWORK })
    return { service, store, owner: runtime.owner }
  }

  it('asks for a ticket first and uploads with it to a node that refuses writes without one', async () => {
    const { service } = await serviceFor('paid')
    const bytes = crypto.getRandomValues(new Uint8Array(3 * MIN_SLICE_SIZE + 7))
    const before = node.store.sliceCount
    const result = await service.put(bytes, {}, 'paid')
    expect(result.replicas).toEqual([node.peerId.toString()])
    expect(node.store.sliceCount).toBe(before + 4)
    // The manifest was published with the ticket: the meta service holds it.
    expect(await node.store.getManifest(result.fileHash as never, result.owner)).toBeDefined()
  })

  it('an owner short of ozone: InsufficientOzoneError naming the shortfall and how to prepay, before hashing', async () => {
    const { service, store, owner } = await serviceFor('short')
    const bytes = new Uint8Array(FREE + 1)
    const phases: PutProgress['phase'][] = []
    const before = node.store.sliceCount
    const err = (await service
      .put(bytes, {}, 'short', (p: PutProgress) => void phases.push(p.phase))
      .catch((e: unknown) => e)) as Error
    expect(err.name).toBe('InsufficientOzoneError')
    expect(err.message).toContain(owner.evmAddress)
    expect(err.message).toContain('1 short')
    expect(err.message).toContain('StoragePayments')
    // The same, as fields (the widget reads these, not the message).
    expect(err).toMatchObject({ owner: owner.evmAddress, shortfallBytes: 1n })
    // Nothing hashed, stored or sent.
    expect(phases).toEqual([])
    expect(store.stat().pinnedBytes).toBe(0)
    expect(node.store.sliceCount).toBe(before)
  })
})
