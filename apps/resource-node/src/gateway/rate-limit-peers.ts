import type { PeerId } from '@libp2p/interface'
import { type IndexRequest, indexOpName, RateLimitedError } from '@stratos-edge/protocol'
import type { NodeMetrics } from '../node/metrics.js'
import { indexOpCost } from './index-op-cost.js'
import { createRateLimit } from './rate-limit.js'
import type { NodeRateLimits } from './rate-limit-gateway.js'

/** Components of {@link createPeerRateLimit}. */
export interface PeerRateLimitComponents {
  metrics: Pick<NodeMetrics, 'rateLimited'>
  /**
   * Whether a peer is a registered resource node (replicas copying slices on, readers of a slice it
   * lacks): those are never limited. Asked only for a peer over its limit.
   */
  isResourceNode(peer: PeerId): Promise<boolean>
  now?: () => number
}

/** The libp2p side of the rate limits, by peer id: checks for the slice service's admit hooks. */
export interface PeerRateLimit {
  /** A push of a slice of `size` bytes: resolves when it may go on, else throws RateLimitedError. */
  push(header: { size: number }, from: PeerId): Promise<void>
  /** A fetch answered with `bytes`: as {@link PeerRateLimit.push}. */
  fetch(request: { bytes: number }, from: PeerId): Promise<void>
  /** An index request, charged {@link indexOpCost} units: as {@link PeerRateLimit.push}. */
  index(request: IndexRequest, from: PeerId): Promise<void>
}

/**
 * Creates per-peer token buckets for libp2p pushes (the write limits), fetches (the read limits) and
 * index requests (the index limits, in {@link indexOpCost} units); a refusal is `RateLimitedError`,
 * which crosses the wire with its wait.
 *
 * @example
 * ```ts
 * const peers = createPeerRateLimit(DEFAULT_RATE_LIMITS, { metrics, isResourceNode })
 * await peers.push(header, from) // throws RateLimitedError
 * ```
 */
export function createPeerRateLimit(
  init: NodeRateLimits,
  components: PeerRateLimitComponents,
): PeerRateLimit {
  const clock = components.now ? { now: components.now } : {}
  const write = createRateLimit(init.write ?? {}, clock)
  const read = createRateLimit(init.read ?? {}, clock)
  const index = createRateLimit(init.index ?? {}, clock)
  // A request dearer than the whole burst could never pass: it takes a full bucket instead.
  const indexBurst = init.index?.requests?.burst ?? Number.POSITIVE_INFINITY
  const check = async (waitMs: number, path: string, what: string, from: PeerId): Promise<void> => {
    if (waitMs === 0 || (await components.isResourceNode(from))) return
    components.metrics.rateLimited.inc({ path })
    throw new RateLimitedError(`Too many ${what} from peer ${from.toString()}`, waitMs)
  }
  return {
    push: (header, from) => check(write.take(from.toString(), header.size), 'p2p-push', 'pushes', from),
    fetch: (request, from) => check(read.take(from.toString(), request.bytes), 'p2p-fetch', 'fetches', from),
    index: (request, from) =>
      check(
        index.take(from.toString(), 0, Math.min(indexOpCost(request), indexBurst)),
        'p2p-index',
        `index requests (${indexOpName(request.op)})`,
        from,
      ),
  }
}
