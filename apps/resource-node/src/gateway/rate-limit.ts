/** A token bucket's refill rate and depth. */
export interface BucketRate {
  /** Tokens added per second (requests, or bytes). `Infinity` or 0: no limit. */
  perSecond: number
  /** Most tokens a client can save up: the burst it may send at once. */
  burst: number
}

/** Options of {@link createRateLimit}. */
export interface RateLimitInit {
  /** Requests per client; unset: not limited. */
  requests?: BucketRate
  /** Bytes per client; unset: not limited. */
  bytes?: BucketRate
  /** Clients whose buckets are kept at once (default 65 536); the least recently seen go first. */
  maxClients?: number
}

/** Injectable edges of {@link createRateLimit}. */
export interface RateLimitComponents {
  /** Milliseconds clock (default `Date.now`). */
  now?: () => number
}

/** Per-client token buckets for requests and bytes. */
export interface RateLimit {
  /**
   * Takes one request and `bytes` from `client`'s buckets. Returns 0 when allowed, else how long to wait,
   * ms (nothing is taken then). A request larger than the byte burst passes once the bucket is full and
   * leaves it in debt, so the average rate holds whatever the request sizes. `requests` (default 1) is 0
   * for the bytes of a request counted already.
   */
  take(client: string, bytes?: number, requests?: number): number
  /** Clients whose buckets are kept now. */
  readonly clients: number
}

interface Buckets {
  requests: number
  bytes: number
  at: number
}

const limited = (rate: BucketRate | undefined): rate is BucketRate =>
  rate !== undefined && Number.isFinite(rate.perSecond) && rate.perSecond > 0

/**
 * Creates per-client token buckets: each client (an address group, a peer id) starts with full buckets
 * that refill at their rate up to their burst.
 *
 * @example
 * ```ts
 * const limit = createRateLimit({ requests: { perSecond: 50, burst: 200 }, bytes: { perSecond: 2 ** 26, burst: 2 ** 28 } })
 * const waitMs = limit.take(clientOf(req), contentLength)
 * if (waitMs > 0) answer429(Math.ceil(waitMs / 1000))
 * ```
 */
export function createRateLimit(init: RateLimitInit, components: RateLimitComponents = {}): RateLimit {
  const now = components.now ?? Date.now
  const requests = limited(init.requests) ? init.requests : undefined
  const bytes = limited(init.bytes) ? init.bytes : undefined
  const maxClients = init.maxClients ?? 65_536
  /** Most recently seen last, so the first entry is the one to forget. */
  const buckets = new Map<string, Buckets>()

  const refill = (b: Buckets, t: number): void => {
    const seconds = Math.max(0, t - b.at) / 1000
    if (requests) b.requests = Math.min(requests.burst, b.requests + seconds * requests.perSecond)
    if (bytes) b.bytes = Math.min(bytes.burst, b.bytes + seconds * bytes.perSecond)
    b.at = t
  }

  return {
    take(client, size = 0, count = 1) {
      if (!requests && !bytes) return 0
      const t = now()
      let b = buckets.get(client)
      if (b) {
        buckets.delete(client) // re-inserted last: most recently seen
        refill(b, t)
      } else {
        b = { requests: requests?.burst ?? 0, bytes: bytes?.burst ?? 0, at: t }
        // A forgotten client comes back with full buckets: only the least recently seen are forgotten.
        if (buckets.size >= maxClients) buckets.delete(buckets.keys().next().value as string)
      }
      buckets.set(client, b)
      let waitMs = 0
      if (requests && b.requests < count) waitMs = ((count - b.requests) / requests.perSecond) * 1000
      // Past the burst, a request needs a full bucket (then goes into debt), not more than the bucket holds.
      const needed = bytes ? Math.min(size, bytes.burst) : 0
      if (bytes && b.bytes < needed) waitMs = Math.max(waitMs, ((needed - b.bytes) / bytes.perSecond) * 1000)
      // Rounded to µs first: float error must not add a millisecond.
      if (waitMs > 0) return Math.max(1, Math.ceil(Math.round(waitMs * 1000) / 1000))
      if (requests) b.requests -= count
      if (bytes) b.bytes -= size
      return 0
    },
    get clients() {
      return buckets.size
    },
  }
}
