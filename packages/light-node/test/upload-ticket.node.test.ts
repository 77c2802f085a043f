/**
 * Uploads with tickets on, against a real resource node running the meta service (ticket issuer, ozone
 * ledger with a small free allowance) and a real IndexedDB store (fake-indexeddb): the ticket is asked
 * for before the first byte, and an owner short of ozone gets a typed error before hashing begins.
 */
import { MIN_SLICE_SIZE } from '@stratos-edge/core'
import type { ResourceNode } from '@stratos-edge/resource-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PutProgress } from '../src/api-types.js'
import { type MetaResourceNode, startMetaResourceNode } from './support/meta-resource-node.js'
import { startNetworkedService } from './support/networked-service.js'

const NETWORK = 31337
const FREE = 8 * MIN_SLICE_SIZE

describe('put with upload tickets', () => {
  let node: ResourceNode
  let started: MetaResourceNode

  beforeAll(async () => {
    started = await startMetaResourceNode('stratos-ticket-put-', {
      tickets: { network: NETWORK, freeOzone: BigInt(FREE) },
    })
    node = started.node
  })

  afterAll(async () => {
    await started?.close()
  })

  const serviceFor = (name: string) =>
    startNetworkedService(node, started.client, {
      name,
      options: { replicas: 1, sliceSize: MIN_SLICE_SIZE, network: NETWORK },
    })

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
