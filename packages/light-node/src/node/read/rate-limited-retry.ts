import { isErrorNamed } from '@stratos-edge/core'
import { untilAborted } from '../until-aborted.js'

/** Options of {@link retryRateLimited}. */
export interface RateLimitedRetryOptions {
  /** Most times `run` is called again after a `RateLimitedError` (default 4). */
  retries?: number
  /** A longer wait than this is not waited for: the error goes to the caller (default 30 000 ms). */
  maxWaitMs?: number
}

/**
 * Runs `run`; when it fails with `RateLimitedError` (a node's per-peer limit), waits the error's
 * `retryAfterMs` and runs it again, a bounded number of times. `signal` ends a wait at once.
 *
 * @example
 * ```ts
 * const record = await retryRateLimited(() => fetchSlice(libp2p, peer, hash), signal)
 * ```
 */
export async function retryRateLimited<T>(
  run: () => Promise<T>,
  signal: AbortSignal,
  options: RateLimitedRetryOptions = {},
): Promise<T> {
  const retries = options.retries ?? 4
  const maxWaitMs = options.maxWaitMs ?? 30_000
  for (let attempt = 0; ; attempt++) {
    try {
      return await run()
    } catch (err) {
      const waitMs = (err as { retryAfterMs?: number }).retryAfterMs ?? 1000
      if (!isErrorNamed(err, 'RateLimitedError') || attempt >= retries || waitMs > maxWaitMs) throw err
      let timer: ReturnType<typeof setTimeout> | undefined
      await untilAborted(
        new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs))),
        signal,
      ).finally(() => clearTimeout(timer))
    }
  }
}
