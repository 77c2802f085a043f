import type { PeerId } from '@libp2p/interface'
import type { MetaAccess } from '../node/meta-access.js'
import type { NodeMetrics } from '../node/metrics.js'
import type { ResourceNodeInit } from '../node/resource-node-init.js'
import { createGatewayRateLimit, DEFAULT_RATE_LIMITS, type GatewayRateLimit } from './rate-limit-gateway.js'
import { createPeerRateLimit, type PeerRateLimit } from './rate-limit-peers.js'

/** A node's rate limits: the gateway's by address, the slice protocols' by peer (admitting all when off). */
export interface NodeRateLimitParts {
  gateway: GatewayRateLimit
  peers: PeerRateLimit
}

/**
 * Creates a node's rate limits from its options (`rateLimits`: the limits, `DEFAULT_RATE_LIMITS` when
 * unset, none when `false`; `trustProxy`: count HTTP clients by X-Forwarded-For). Peers the meta
 * service's registry lists as resource nodes are never limited, but only when the registry is closed
 * (`tickets` on, or `resourcePeers` named, as the meta service closes it): an open registry lists any
 * peer that announces itself a resource node, so then nobody is exempt.
 *
 * @example
 * ```ts
 * const limits = createNodeRateLimits(init, { metrics, meta })
 * ```
 */
export function createNodeRateLimits(
  init: Pick<ResourceNodeInit, 'rateLimits' | 'trustProxy' | 'tickets' | 'resourcePeers'>,
  components: {
    metrics: Pick<NodeMetrics, 'gatewayRequests' | 'rateLimited'>
    meta: Pick<MetaAccess, 'forwardTargets'>
  },
): NodeRateLimitParts {
  const limits = init.rateLimits === false ? {} : (init.rateLimits ?? DEFAULT_RATE_LIMITS)
  const { metrics, meta } = components
  const closedRegistry = init.tickets !== undefined || init.resourcePeers !== undefined
  const isResourceNode = async (peer: PeerId): Promise<boolean> =>
    closedRegistry && (await meta.forwardTargets([{ peerId: peer.toString(), multiaddrs: [] }])).length > 0
  return {
    gateway: createGatewayRateLimit({ ...limits, trustProxy: init.trustProxy ?? false }, { metrics }),
    peers: createPeerRateLimit(limits, { metrics, isResourceNode }),
  }
}
