/**
 * A page client on the real worker-side service over a real comlink MessageChannel, for Node tests: the
 * runtime is a real IndexedDB store (fake-indexeddb), a stand-in index and no network.
 */
import type { Libp2p } from '@libp2p/interface'
import { generateKeyPair, type KeyPair, MIN_SLICE_SIZE } from '@stratos-edge/core'
import { IDBFactory } from 'fake-indexeddb'
import 'fake-indexeddb/auto'
import type { LightNode } from '../../src/client/create-light-node.js'
import { startWorkerNode } from '../../src/client/worker-node.js'
import { LightNodeService } from '../../src/node/light-node-service.js'
import type { NetworkIndex } from '../../src/node/network-index.js'
import type { Runtime } from '../../src/node/runtime.js'
import { createIdbSliceStore, type IdbSliceStore } from '../../src/store/idb-slice-store.js'
import { StandInWorker } from './stand-in-worker.js'

/** Options of {@link startOfflinePageNode}. */
export interface OfflinePageNodeInit {
  /** The IndexedDB database name (a fresh IDBFactory each time). */
  name: string
  /** Index methods replacing the do-nothing defaults (e.g. a recording `putManifest`). */
  index?: Partial<NetworkIndex>
  /** The gateway base the client builds links from; none when omitted. */
  gatewayUrl?: string
}

/**
 * Starts the page client (slice size {@link MIN_SLICE_SIZE}, no resource nodes, no replicas) on a real
 * service whose runtime is a fresh store and an index that does nothing but what `init.index` says. The
 * caller stops `node`.
 */
export async function startOfflinePageNode(
  init: OfflinePageNodeInit,
): Promise<{ node: LightNode; store: IdbSliceStore; nodeKey: KeyPair }> {
  const store = await createIdbSliceStore(
    { name: init.name },
    { indexedDB: new IDBFactory(), estimate: async () => undefined },
  )
  const index: NetworkIndex = {
    announce: async () => {},
    withdraw: async () => {},
    lookup: async () => new Map(),
    place: async () => [],
    putManifest: async () => {},
    getManifest: async () => undefined,
    ...init.index,
  }
  const nodeKey = generateKeyPair()
  const runtime: Runtime = {
    peerId: 'self',
    libp2p: {} as Libp2p,
    store,
    index,
    owner: nodeKey,
    served: { slices: 0, bytes: 0, rejectedStreams: 0 },
    reachableAddresses: () => [],
    stop: async () => {},
  }
  const service = new LightNodeService({ startRuntime: async () => runtime })
  const worker = new StandInWorker(service)
  const node = await startWorkerNode({
    resourceNodes: [],
    replicas: 0,
    sliceSize: MIN_SLICE_SIZE,
    ...(init.gatewayUrl ? { gatewayUrl: init.gatewayUrl } : {}),
    worker: worker as unknown as Worker,
  })
  return { node, store, nodeKey }
}
