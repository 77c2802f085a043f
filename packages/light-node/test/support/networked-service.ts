/**
 * The worker-side service of a light node for Node tests, on a real IndexedDB store (fake-indexeddb) and a
 * real network index client, reaching one resource node through a plain libp2p client.
 */
import type { Libp2p } from '@libp2p/interface'
import { generateKeyPair, type KeyPair } from '@stratos-edge/core'
import type { ResourceNode } from '@stratos-edge/resource-node'
import { IDBFactory } from 'fake-indexeddb'
import 'fake-indexeddb/auto'
import type { LightNodeOptions } from '../../src/api-types.js'
import { LightNodeService } from '../../src/node/light-node-service.js'
import { createNetworkIndex } from '../../src/node/network-index-client.js'
import type { Runtime } from '../../src/node/runtime.js'
import { createIdbSliceStore, type IdbSliceStore } from '../../src/store/idb-slice-store.js'

/** Options of {@link startNetworkedService}. */
export interface NetworkedServiceInit {
  /** The IndexedDB database name. */
  name: string
  /** The IndexedDB to open it in (the same one again plays a page reload); a fresh one when omitted. */
  indexedDB?: IDBFactory
  /** Start options besides the resource node (`resourceNodes` is the node's first WebSockets address). */
  options: Omit<LightNodeOptions, 'resourceNodes' | 'worker'>
  /** The node key (as a reload finds it in the store); a new one when omitted. */
  nodeKey?: KeyPair
}

/** Starts a service with a new owner key whose uploads go to `node` with `client`'s connections. */
export async function startNetworkedService(
  node: ResourceNode,
  client: Libp2p,
  init: NetworkedServiceInit,
): Promise<{ service: LightNodeService; store: IdbSliceStore; owner: KeyPair }> {
  const store = await createIdbSliceStore(
    { name: init.name },
    { indexedDB: init.indexedDB ?? new IDBFactory(), estimate: async () => undefined },
  )
  const resourceNodes = [node.readyInfo().wsMultiaddrs[0] as string]
  const owner = init.nodeKey ?? generateKeyPair()
  const runtime: Runtime = {
    peerId: 'self',
    libp2p: client,
    store,
    index: createNetworkIndex(client, { resourceNodes, selfAddresses: () => [], freeBytes: () => 0 }),
    owner,
    served: { slices: 0, bytes: 0, rejectedStreams: 0 },
    reachableAddresses: () => [],
    stop: async () => {},
  }
  const service = new LightNodeService({ startRuntime: async () => runtime })
  await service.start({ resourceNodes, ...init.options })
  return { service, store, owner }
}
