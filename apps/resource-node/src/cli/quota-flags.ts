import type { BucketRate, RateLimitInit } from '../gateway/rate-limit.js'
import { DEFAULT_RATE_LIMITS, type NodeRateLimits } from '../gateway/rate-limit-gateway.js'
import type { ResourceNodeInit } from '../node/resource-node-init.js'

/** The `--help` lines of the quota flags. */
export const QUOTA_USAGE = `
Quotas (per client: an IPv4 address or IPv6 /64 over HTTP, a peer id over libp2p; 429 + Retry-After):
  --write-rate <n>        upload bytes per second per client (default 64m; suffixes k, m, g; 0 = none)
  --write-burst <n>       upload bytes a client may send at once before the rate applies (default 1g)
  --write-requests <n>    upload requests per second per client (default 100; bursts of 10 s worth)
  --read-rate <n>         gateway/fetch bytes per second per client (default: not limited)
  --read-burst <n>        read bytes a client may take at once (default 16 s worth of --read-rate)
  --read-requests <n>     read requests per second per client (default 200; bursts of 10 s worth)
  --index-requests <n>    index protocol units per second per peer (default 100; bursts of 10 s worth;
                          a lookup of up to 63 hashes is 1 unit, see the README)
  --no-rate-limits        no per-client limits at all
  --unpaid-grace <time>   evict slices no stored manifest lists after this long (default 1h; 90s, 10m,
                          2h or ms); when the disk is full the oldest unpaid go first; 0 = never, not
                          even for room. Slices of a file an upload ticket was admitted for stay until
                          the ticket expires plus 10 minutes
`

/** The quota flags, for `parseArgs`. */
export const QUOTA_FLAGS = {
  'write-rate': { type: 'string' },
  'write-burst': { type: 'string' },
  'write-requests': { type: 'string' },
  'read-rate': { type: 'string' },
  'read-burst': { type: 'string' },
  'read-requests': { type: 'string' },
  'index-requests': { type: 'string' },
  'no-rate-limits': { type: 'boolean' },
  'unpaid-grace': { type: 'string' },
} as const

type QuotaValues = Partial<Record<Exclude<keyof typeof QUOTA_FLAGS, 'no-rate-limits'>, string>> & {
  'no-rate-limits'?: boolean
}

/** A duration: plain milliseconds, or a number with `s`, `m` or `h`. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/i.exec(text.trim())
  if (!m) throw new Error(`Invalid duration: ${text}`)
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 'ms').toLowerCase()] ?? 1
  return Math.floor(Number(m[1]) * unit)
}

function nonNegative(text: string, what: string): number {
  const n = Number(text)
  if (!Number.isFinite(n) || n < 0) throw new Error(`Invalid ${what}: ${text}`)
  return n
}

/** A requests bucket: `perSecond`, ten seconds of it as the burst; 0 turns it off. */
function requestRate(text: string, what: string): BucketRate | undefined {
  const perSecond = nonNegative(text, what)
  return perSecond === 0 ? undefined : { perSecond, burst: Math.max(1, perSecond * 10) }
}

/** One side's limits: the defaults with the flags given laid over them. */
function side(
  defaults: RateLimitInit,
  flags: { rate?: string; burst?: string; requests?: string },
  name: string,
  parseBytes: (text: string) => number,
): RateLimitInit {
  const out: RateLimitInit = { ...defaults }
  if (flags.requests !== undefined) {
    const requests = requestRate(flags.requests, `--${name}-requests`)
    if (requests) out.requests = requests
    else delete out.requests
  }
  if (flags.rate !== undefined || flags.burst !== undefined) {
    const perSecond = flags.rate !== undefined ? parseBytes(flags.rate) : (defaults.bytes?.perSecond ?? 0)
    if (perSecond === 0) delete out.bytes
    else {
      const burst =
        flags.burst !== undefined ? parseBytes(flags.burst) : (defaults.bytes?.burst ?? perSecond * 16)
      out.bytes = { perSecond, burst: Math.max(burst, 1) }
    }
  }
  return out
}

/**
 * The node options the quota flags ask for (nothing when none was given, so the node's defaults hold).
 *
 * @example
 * ```ts
 * const init = quotaInit({ 'write-rate': '8m', 'unpaid-grace': '10m' }, parseBytes)
 * ```
 */
export function quotaInit(
  values: QuotaValues,
  parseBytes: (text: string) => number,
): Pick<ResourceNodeInit, 'rateLimits' | 'unpaidGraceMs'> {
  const out: Pick<ResourceNodeInit, 'rateLimits' | 'unpaidGraceMs'> = {}
  if (values['no-rate-limits']) out.rateLimits = false
  else {
    const limits: NodeRateLimits = {
      write: side(
        DEFAULT_RATE_LIMITS.write,
        { rate: values['write-rate'], burst: values['write-burst'], requests: values['write-requests'] },
        'write',
        parseBytes,
      ),
      read: side(
        DEFAULT_RATE_LIMITS.read,
        { rate: values['read-rate'], burst: values['read-burst'], requests: values['read-requests'] },
        'read',
        parseBytes,
      ),
      index: side(DEFAULT_RATE_LIMITS.index, { requests: values['index-requests'] }, 'index', parseBytes),
    }
    const given = [
      ...['write-rate', 'write-burst', 'write-requests', 'read-rate', 'read-burst', 'read-requests'],
      'index-requests',
    ]
    if (given.some((k) => values[k as keyof QuotaValues] !== undefined)) out.rateLimits = limits
  }
  if (values['unpaid-grace'] !== undefined) out.unpaidGraceMs = parseDuration(values['unpaid-grace'])
  return out
}
