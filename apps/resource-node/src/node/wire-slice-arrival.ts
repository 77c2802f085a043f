import type { PeerAddress, SliceRecord } from '@stratos-edge/protocol'
import type { Logger } from '../logger.js'
import type { MetaAccess } from './meta-access.js'
import type { NodeMetrics } from './metrics.js'
import type { Replicator } from './replicator.js'
import type { SelfRegistration } from './wire-self-registration.js'

/** Edges of {@link wireSliceArrival}. */
export interface SliceArrivalComponents {
  metrics: Pick<NodeMetrics, 'slicesStored' | 'bytesReceived'>
  meta: Pick<MetaAccess, 'forwardTargets'>
  replicator: Replicator
  registration: Pick<SelfRegistration, 'stored'>
  logger: Logger
}

/** What the node does with each new slice. */
export interface SliceArrival {
  /**
   * A new slice arrived (libp2p push or HTTP upload) and is durably stored: count, announce, copy on
   * (with `ticket`, core's `encodeTicket` of the upload ticket that paid for it, so replicas spare it).
   */
  arrived(slice: SliceRecord, forward: PeerAddress[], ticket?: Uint8Array): void
  /** Waits until forward lists are checked and queued replications are done. */
  idle(): Promise<void>
}

/**
 * Counts, announces and replicates each new slice: its `forward` targets are checked against the meta
 * service's registry first, and only registered resource nodes get a copy.
 *
 * @example
 * ```ts
 * const arrival = wireSliceArrival({ metrics, meta, replicator, registration, logger })
 * ```
 */
export function wireSliceArrival(components: SliceArrivalComponents): SliceArrival {
  const { metrics, meta, replicator, registration, logger } = components
  /** Forward lists being checked against the registry (idle waits for them). */
  const resolving = new Set<Promise<void>>()
  return {
    arrived(slice, forward, ticket) {
      metrics.slicesStored.inc()
      metrics.bytesReceived.inc(slice.data.length)
      registration.stored(slice.hash)
      if (forward.length === 0) return
      const p = meta
        .forwardTargets(forward)
        .then((targets) => {
          const refused = forward.length - targets.length
          if (refused > 0)
            logger.debug('forward targets not registered, skipped', { hash: slice.hash, refused })
          if (targets.length > 0) replicator.replicate(slice.hash, targets, ticket)
        })
        .catch((error: unknown) => logger.warn('forwarding failed', { hash: slice.hash, error }))
        .finally(() => resolving.delete(p))
      resolving.add(p)
    },
    async idle() {
      while (resolving.size > 0) await Promise.all([...resolving])
      await replicator.idle()
    },
  }
}
