import type { IncomingMessage, ServerResponse } from 'node:http'
import type { NodeMetrics } from '../node/metrics.js'
import { clientOf } from './client-address.js'
import { createRateLimit, type RateLimit, type RateLimitInit } from './rate-limit.js'

/** Which of the gateway's paths a request takes. */
export type GatewayPath = 'read' | 'write'

/** Options of {@link createGatewayRateLimit}. */
export interface GatewayRateLimitInit {
  /** File reads (`GET`/`HEAD /v1/files/…`): requests, and bytes of the answer. */
  read?: RateLimitInit
  /** Uploads, staging and commits: requests, and bytes of the body (Content-Length). */
  write?: RateLimitInit
  /** Count clients by the last X-Forwarded-For address (see `clientOf`). Default false. */
  trustProxy?: boolean
}

/** Components of {@link createGatewayRateLimit}. */
export interface GatewayRateLimitComponents {
  metrics: Pick<NodeMetrics, 'gatewayRequests' | 'rateLimited'>
  now?: () => number
}

/** The gateway's per-client limits: a request over them is answered 429 here. */
export interface GatewayRateLimit {
  /**
   * Takes a request (and `bytes`) from its client's buckets for `path`. True when it may go on; false
   * when it was answered 429 with `Retry-After` (and CORS), its body unread and its connection closed.
   * `requests` is 0 to charge the bytes of a request admitted already (a read whose size is known late).
   */
  admit(
    req: IncomingMessage,
    res: ServerResponse,
    path: GatewayPath,
    bytes?: number,
    requests?: number,
  ): boolean
}

/**
 * Creates the gateway's rate limits: token buckets per client (an IPv4 address, an IPv6 /64) for reads and
 * for writes, each for requests and bytes.
 *
 * @example
 * ```ts
 * const limits = createGatewayRateLimit({ write: { bytes: { perSecond: 2 ** 26, burst: 2 ** 30 } } }, { metrics })
 * if (!limits.admit(req, res, 'write', Number(req.headers['content-length']))) return
 * ```
 */
export function createGatewayRateLimit(
  init: GatewayRateLimitInit,
  components: GatewayRateLimitComponents,
): GatewayRateLimit {
  const { metrics } = components
  const clock = components.now ? { now: components.now } : {}
  const limits: Record<GatewayPath, RateLimit> = {
    read: createRateLimit(init.read ?? {}, clock),
    write: createRateLimit(init.write ?? {}, clock),
  }
  return {
    admit(req, res, path, bytes = 0, requests = 1) {
      const size = Number.isFinite(bytes) && bytes > 0 ? bytes : 0
      const waitMs = limits[path].take(clientOf(req, init.trustProxy), size, requests)
      if (waitMs === 0) return true
      const seconds = Math.max(1, Math.ceil(waitMs / 1000))
      metrics.rateLimited.inc({ path: `http-${path}` })
      metrics.gatewayRequests.inc({ status: '429' })
      const text = `${JSON.stringify({
        error: {
          name: 'RateLimitedError',
          message: `Too many ${path === 'read' ? 'reads' : 'uploads'} from this address`,
        },
      })}\n`
      res.writeHead(429, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(text),
        'retry-after': String(seconds),
        'access-control-allow-origin': '*',
        'access-control-expose-headers': 'retry-after',
        // The body was not read: the connection cannot be reused for the next request.
        ...(path === 'write' ? { connection: 'close' } : {}),
      })
      res.end(text)
      return false
    },
  }
}

/** Per-client limits of a node, one set for reads and one for writes (HTTP and libp2p alike). */
export interface NodeRateLimits {
  read?: RateLimitInit
  write?: RateLimitInit
  /** Index protocol requests per peer, in `indexOpCost` units (its `requests` bucket only). */
  index?: RateLimitInit
}

/**
 * The limits a node applies unless told otherwise: loose enough for one fast browser (the e2e tests, the
 * demos, the load bench's 200 readers on one address), tight enough that one client cannot take the node's
 * whole write bandwidth for long. Read bytes are not limited by default: reads are paid by the publisher
 * (Proof of Traffic), and many readers often share one address.
 */
export const DEFAULT_RATE_LIMITS: Readonly<Required<NodeRateLimits>> = {
  read: { requests: { perSecond: 200, burst: 2000 } },
  write: {
    requests: { perSecond: 100, burst: 1000 },
    bytes: { perSecond: 64 * 2 ** 20, burst: 2 ** 30 },
  },
  // 100 small lookups a second, or about six announces of 1,000 hashes; ten seconds of it at once.
  index: { requests: { perSecond: 100, burst: 1000 } },
}
