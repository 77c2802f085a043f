import type { PeerId } from '@libp2p/interface'
import { RateLimitedError } from '@stratos-edge/protocol'
import type { NodeMetrics } from '../node/metrics.js'
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
}

/**
 * Creates per-peer token buckets for libp2p pushes (the write limits) and fetches (the read limits); a
 * refusal is `RateLimitedError`, which crosses the wire with its wait.
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
  const check = async (
    limit: ReturnType<typeof createRateLimit>,
    path: 'p2p-push' | 'p2p-fetch',
    bytes: number,
    from: PeerId,
  ): Promise<void> => {
    const waitMs = limit.take(from.toString(), bytes)
    if (waitMs === 0 || (await components.isResourceNode(from))) return
    components.metrics.rateLimited.inc({ path })
    throw new RateLimitedError(
      `Too many ${path === 'p2p-push' ? 'pushes' : 'fetches'} from peer ${from.toString()}`,
      waitMs,
    )
  }
  return {
    push: (header, from) => check(write, 'p2p-push', header.size, from),
    fetch: (request, from) => check(read, 'p2p-fetch', request.bytes, from),
  }
}
