import type { Connection, Libp2p } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

/** Options of {@link dialWithRetry}. */
export interface DialRetryOptions {
  /** Attempts in all; default 4. */
  attempts?: number
  /** Time allowed for one attempt; default 6 s (a stalled WebRTC dial is abandoned and retried). */
  attemptTimeoutMs?: number
  /** First backoff; doubles after each failure. Default 200 ms. */
  backoffMs?: number
  signal?: AbortSignal
}

/**
 * Dials with a per-attempt timeout and exponential backoff. About one WebRTC dial in ten stalls in
 * signalling; a fresh attempt succeeds.
 */
export async function dialWithRetry(
  libp2p: Pick<Libp2p, 'dial'>,
  addr: Multiaddr | Multiaddr[],
  options: DialRetryOptions = {},
): Promise<Connection> {
  const attempts = options.attempts ?? 4
  let backoff = options.backoffMs ?? 200
  let lastError: unknown
  for (let i = 0; i < attempts; i++) {
    options.signal?.throwIfAborted()
    const timeout = AbortSignal.timeout(options.attemptTimeoutMs ?? 6000)
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout
    try {
      return await libp2p.dial(addr, { signal })
    } catch (err) {
      lastError = err
      if (options.signal?.aborted) throw err
      await new Promise((resolve) => setTimeout(resolve, backoff))
      backoff *= 2
    }
  }
  throw lastError
}
