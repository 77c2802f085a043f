import type { PeerId } from '@libp2p/interface'
import type { MetaAccess } from '../node/meta-access.js'
import type { NodeMetrics } from '../node/metrics.js'
import {
  createGatewayRateLimit,
  DEFAULT_RATE_LIMITS,
  type GatewayRateLimit,
  type NodeRateLimits,
} from './rate-limit-gateway.js'
import { createPeerRateLimit, type PeerRateLimit } from './rate-limit-peers.js'

/** A node's rate limits: the gateway's by address, the slice protocols' by peer (admitting all when off). */
export interface NodeRateLimitParts {
  gateway: GatewayRateLimit
  peers: PeerRateLimit
}

/**
 * Creates a node's rate limits from its options (`rateLimits`: the limits, `DEFAULT_RATE_LIMITS` when
 * unset, none when `false`; `trustProxy`: count HTTP clients by X-Forwarded-For). Peers the meta
 * service's registry lists as resource nodes are never limited.
 *
 * @example
 * ```ts
 * const limits = createNodeRateLimits(init, { metrics, meta })
 * ```
 */
export function createNodeRateLimits(
  init: { rateLimits?: NodeRateLimits | false; trustProxy?: boolean },
  components: {
    metrics: Pick<NodeMetrics, 'gatewayRequests' | 'rateLimited'>
    meta: Pick<MetaAccess, 'forwardTargets'>
  },
): NodeRateLimitParts {
  const limits = init.rateLimits === false ? {} : (init.rateLimits ?? DEFAULT_RATE_LIMITS)
  const { metrics, meta } = components
  const isResourceNode = async (peer: PeerId): Promise<boolean> =>
    (await meta.forwardTargets([{ peerId: peer.toString(), multiaddrs: [] }])).length > 0
  return {
    gateway: createGatewayRateLimit({ ...limits, trustProxy: init.trustProxy ?? false }, { metrics }),
    peers: createPeerRateLimit(limits, { metrics, isResourceNode }),
  }
}
