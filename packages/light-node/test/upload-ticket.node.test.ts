/**
 * Uploads with tickets on, against a real resource node running the meta service (ticket issuer, ozone
 * ledger with a small free allowance) and a real IndexedDB store (fake-indexeddb): the ticket is asked
 * for as the put begins, while the file is hashed, and held before the first byte is sent; an owner short
 * of ozone gets a typed error that stops the hashing pass.
 */
import { generateKeyPair, MIN_SLICE_SIZE } from '@stratos-edge/core'
import type { ResourceNode } from '@stratos-edge/resource-node'
import { IDBFactory } from 'fake-indexeddb'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PutProgress } from '../src/api-types.js'
import type { NetworkIndex } from '../src/node/network-index.js'
import { createNetworkIndex } from '../src/node/network-index-client.js'
import type { SliceDigester } from '../src/node/slice-digests.js'
import { createUploader } from '../src/node/upload/put-file.js'
import { createIdbSliceStore } from '../src/store/idb-slice-store.js'
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
    // Nothing stored or sent (the file was being hashed while the ticket was asked for).
    expect(phases).not.toContain('storing')
    expect(store.stat().pinnedBytes).toBe(0)
    expect(node.store.sliceCount).toBe(before)
  })

  /** A promise with its resolver, and a deadline so a test that deadlocks fails instead of hanging. */
  const signal = (what: string, ms = 10_000) => {
    let fire = () => {}
    const fired = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for: ${what}`)), ms)
      fire = () => {
        clearTimeout(timer)
        resolve()
      }
    })
    fired.catch(() => {})
    return { fired, fire }
  }

  /** An uploader over the real node whose ticket requests and hashing pass the test can watch and hold. */
  const uploaderFor = async (
    name: string,
    edges: {
      requestTicket(real: NetworkIndex, request: Uint8Array): Promise<Uint8Array>
      digester: SliceDigester
    },
  ) => {
    const store = await createIdbSliceStore(
      { name },
      { indexedDB: new IDBFactory(), estimate: async () => undefined },
    )
    const resourceNodes = [node.readyInfo().wsMultiaddrs[0] as string]
    const real = createNetworkIndex(started.client, {
      resourceNodes,
      selfAddresses: () => [],
      freeBytes: () => 0,
    })
    const index: NetworkIndex = { ...real, requestTicket: (request) => edges.requestTicket(real, request) }
    const uploader = createUploader(
      // The home node too: slices would be staged there while the file is hashed, once the ticket is held.
      {
        resourceNodes,
        replicas: 1,
        sliceSize: MIN_SLICE_SIZE,
        network: NETWORK,
        gatewayUrl: node.gatewayUrl,
      },
      { store, libp2p: started.client, index, owner: generateKeyPair(), digester: edges.digester },
    )
    return { uploader, store }
  }

  it('asks for the ticket while the file is hashed, and sends no byte before it holds it', async () => {
    // The meta service's answer is held until the hashing pass ends: a put that waited for the ticket
    // before hashing would never get it.
    const hashed = signal('the hashing pass to end')
    const events: string[] = []
    let storedWhenTicketGiven = -1
    const before = node.store.sliceCount
    const { uploader } = await uploaderFor('overlap', {
      async requestTicket(real, request) {
        events.push('ticket asked')
        await hashed.fired
        const ticket = await (real.requestTicket as NonNullable<NetworkIndex['requestTicket']>)(request)
        storedWhenTicketGiven = node.store.sliceCount
        events.push('ticket given')
        return ticket
      },
      digester: {
        start: () => ({
          push: async () => {},
          async finish() {
            events.push('hashed')
            hashed.fire()
            return undefined // no helper: the put hashes each slice itself
          },
        }),
        close() {},
      },
    })
    const bytes = new Uint8Array(5 * MIN_SLICE_SIZE + 3).map((_, i) => (i * 31 + 7) & 0xff)
    const result = await uploader.put(new Blob([bytes]), {}, AbortSignal.timeout(30_000))
    expect(events).toEqual(['ticket asked', 'hashed', 'ticket given'])
    expect(storedWhenTicketGiven).toBe(before)
    expect(result.replicas).toEqual([node.peerId.toString()])
    expect(node.store.sliceCount).toBe(before + 6)
  })

  it('a refused ticket stops the hashing pass before it ends', async () => {
    // 20 MiB, far over the free allowance, read in 4 MiB chunks: each chunk waits until the refusal has
    // arrived, so a put that let the hashing pass run on would take all five.
    const refused = signal('the ticket refusal')
    let chunks = 0
    const { uploader, store } = await uploaderFor('refused', {
      requestTicket: (real, request) =>
        (real.requestTicket as NonNullable<NetworkIndex['requestTicket']>)(request).catch((err: unknown) => {
          refused.fire()
          throw err
        }),
      digester: {
        start: () => ({
          async push() {
            chunks++
            await refused.fired
            await new Promise((r) => setTimeout(r, 50))
          },
          finish: async () => undefined,
        }),
        close() {},
      },
    })
    const before = node.store.sliceCount
    const err = (await uploader
      .put(new Blob([new Uint8Array(20 * 1024 * 1024)]), {}, AbortSignal.timeout(30_000))
      .catch((e: unknown) => e)) as Error
    expect(err.name).toBe('InsufficientOzoneError')
    expect(chunks).toBeLessThan(5)
    expect(store.stat().pinnedBytes).toBe(0)
    expect(node.store.sliceCount).toBe(before)
  })
})
