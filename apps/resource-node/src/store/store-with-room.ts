import type { Multiaddr } from '@multiformats/multiaddr'
import { type FileHash, isErrorNamed } from '@stratos-edge/core'
import {
  createIndexClient,
  type DialComponents,
  type SliceRecord,
  type SliceStore,
} from '@stratos-edge/protocol'
import type { Logger } from '../logger.js'
import type { NodeMetrics } from '../node/metrics.js'
import type { DiskSlicePutOptions, DiskSliceStore } from './disk-slice-store.js'
import { createFileManifests, type RemoteManifests } from './file-manifests.js'
import { createUnpaidEviction, type UnpaidEviction } from './unpaid-eviction.js'

/** Options of {@link createStoreWithRoom}. */
export interface StoreWithRoomInit {
  /** The node runs the meta service (its store holds the manifests); else `metaAddr` says where it is. */
  meta?: boolean
  /** Grace before an unpaid slice is evicted, ms (default 1 hour; 0: never evicted). */
  unpaidGraceMs?: number
  /** Unpaid slices younger than this are not evicted for room, ms (default 60 000, at most the grace). */
  unpaidMinAgeForRoomMs?: number
}

/** Components of {@link createStoreWithRoom}. */
export interface StoreWithRoomComponents {
  store: DiskSliceStore
  metrics: Pick<NodeMetrics, 'slicesEvicted'>
  logger: Logger
  /** With `metaAddr`: the libp2p node that asks the meta service (a node that does not run it). */
  libp2p?: DialComponents
  /** Where the meta service is, for a node that does not run it: its manifests are asked there too. */
  metaAddr?: Multiaddr | undefined
  /** When the latest upload ticket admitted for a file expires, ms: its slices are paid until then. */
  ticketExpiry?: ((fileHash: FileHash) => number | undefined) | undefined
}

/** The node's slice store as its write paths use it: a full store first evicts unpaid slices. */
export interface StoreWithRoom {
  readonly eviction: UnpaidEviction
  /** As the store's `put`; when the store is full, evicts unpaid slices and tries once more. */
  put(slice: SliceRecord, options?: DiskSlicePutOptions): Promise<boolean>
  /** Evicts unpaid slices until a slice of `size` bytes fits; true when it does. */
  makeRoom(size: number): Promise<boolean>
  /** The store with that `put`, for the slice protocols. */
  readonly sliceStore: SliceStore
}

/** Room a slice file takes besides its bytes (its header), rounded up. */
const HEADER_ROOM = 128

/**
 * Slices no stored manifest lists go after the grace period, and first when the disk is full; a node
 * that knows no meta service (so never hears of a manifest) evicts nothing.
 * Wraps the node's store so that its write paths make room by evicting unpaid slices before refusing
 * with StoreFullError, and sweeps slices no manifest paid for (see `createUnpaidEviction`).
 *
 * @example
 * ```ts
 * const room = createStoreWithRoom({ unpaidGraceMs: 3_600_000 }, { store, metrics, logger, libp2p, metaAddr })
 * room.eviction.start()
 * await room.put(slice)
 * ```
 */
export function createStoreWithRoom(
  init: StoreWithRoomInit,
  components: StoreWithRoomComponents,
): StoreWithRoom {
  const { store, metrics, logger, libp2p, metaAddr } = components
  // A node that knows no meta service never hears of a manifest: it cannot tell paid from unpaid.
  const knowsManifests = init.meta === true || metaAddr !== undefined
  const metaIndex = libp2p && metaAddr ? createIndexClient(libp2p, metaAddr) : undefined
  const remote: RemoteManifests | undefined = metaIndex && {
    owners: (fileHash) => metaIndex.manifestOwners(fileHash, { timeout: 10_000 }),
    manifest: (fileHash, owner) => metaIndex.getManifest(fileHash, { owner, timeout: 10_000 }),
  }
  const eviction = createUnpaidEviction(
    {
      graceMs: knowsManifests ? (init.unpaidGraceMs ?? 3_600_000) : 0,
      ...(init.unpaidMinAgeForRoomMs !== undefined ? { minAgeForRoomMs: init.unpaidMinAgeForRoomMs } : {}),
    },
    {
      store,
      metrics,
      logger,
      manifests: createFileManifests({ store, remote }),
      ...(components.ticketExpiry ? { ticketExpiry: components.ticketExpiry } : {}),
    },
  )
  const makeRoom = async (size: number) => knowsManifests && eviction.makeRoom(size + HEADER_ROOM)
  const put = async (slice: SliceRecord, options: DiskSlicePutOptions = {}): Promise<boolean> => {
    try {
      return await store.put(slice, options)
    } catch (err) {
      if (!isErrorNamed(err, 'StoreFullError') || !(await makeRoom(slice.data.length))) throw err
      // A staged file is gone after the first try: the bytes are written in full.
      const { staged: _staged, ...rest } = options
      return store.put(slice, rest)
    }
  }
  return {
    eviction,
    put,
    makeRoom,
    sliceStore: {
      has: (hash) => store.has(hash),
      get: (hash, options) => store.get(hash, options),
      info: (hash) => store.info(hash),
      delete: (hash) => store.delete(hash),
      put: (slice, options) => put(slice, options),
    },
  }
}
