import type { SliceHash } from '@stratos-edge/core'
import type { PeerAddress, SliceRecord } from '@stratos-edge/protocol'
import { createSliceUploadRoute, type SliceUploadRoute } from '../gateway/slice-upload-route.js'
import type { UploadStaging } from '../gateway/upload-staging.js'
import type { Logger } from '../logger.js'
import type { DiskSliceStore } from '../store/disk-slice-store.js'
import type { SliceHashPool } from '../store/hash-pool.js'
import type { StoreWithRoom } from '../store/store-with-room.js'
import type { NodeMetrics } from './metrics.js'
import type { NodeTickets } from './node-tickets.js'
import type { ResourceNodeInit } from './resource-node-init.js'

/** Edges of {@link wireUploadRoute}. */
export interface WireUploadRouteComponents {
  peerId: string
  store: Pick<DiskSliceStore, 'has' | 'maxBytes' | 'usedBytes'>
  room: Pick<StoreWithRoom, 'put' | 'makeRoom'>
  hashPool: Pick<SliceHashPool, 'digestMoving'>
  staging: UploadStaging
  tickets: NodeTickets | undefined
  metrics: NodeMetrics
  logger: Logger
  /** A new slice was stored (counted, announced and copied on by the caller). */
  arrived(slice: SliceRecord, forward: PeerAddress[], ticket?: Uint8Array): void
}

/**
 * The gateway's HTTP upload route over this node's store (evicting unpaid slices when full), with the
 * node's upload buffer, pace and ticket options.
 *
 * @example
 * ```ts
 * const sliceUpload = wireUploadRoute(init, { peerId, store, room, hashPool, staging, tickets, metrics, logger, arrived })
 * ```
 */
export function wireUploadRoute(
  init: Pick<
    ResourceNodeInit,
    | 'maxUploadBufferBytes'
    | 'maxUploadBufferBytesPerClient'
    | 'minUploadBytesPerSecond'
    | 'streamTimeoutMs'
    | 'trustProxy'
  >,
  components: WireUploadRouteComponents,
): SliceUploadRoute {
  const { store, room, tickets } = components
  return createSliceUploadRoute({
    target: {
      peerId: components.peerId,
      has: (hash) => store.has(hash as SliceHash),
      freeBytes: () => Math.max(0, store.maxBytes - store.usedBytes),
      put: async (slice, forward, options = {}) => {
        const { ticket, ...storeOptions } = options
        if (await room.put(slice, storeOptions)) components.arrived(slice, forward, ticket)
      },
      makeRoom: room.makeRoom,
      digest: components.hashPool.digestMoving,
    },
    staging: components.staging,
    metrics: components.metrics,
    logger: components.logger,
    ...(tickets ? { tickets: tickets.gate } : {}),
    ...(init.maxUploadBufferBytes !== undefined ? { maxBufferedBytes: init.maxUploadBufferBytes } : {}),
    ...(init.maxUploadBufferBytesPerClient !== undefined
      ? { maxBufferedBytesPerClient: init.maxUploadBufferBytesPerClient }
      : {}),
    ...(init.minUploadBytesPerSecond !== undefined
      ? { minBytesPerSecond: init.minUploadBytesPerSecond }
      : {}),
    idleTimeoutMs: init.streamTimeoutMs ?? 30_000,
    trustProxy: init.trustProxy ?? false,
  })
}
