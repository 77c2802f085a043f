/** `pending`, or the signal's reason once it is aborted first (also when `pending` ignores the signal). */
export function untilAborted<T>(pending: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason)
  let onAbort: () => void = () => {}
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
  })
  return Promise.race([pending, aborted]).finally(() => signal.removeEventListener('abort', onAbort))
}

/**
 * `pending`, or `fallback` when it fails (an index that is unreachable or says no); the signal's reason
 * once it is aborted, also when `pending` ignores the signal.
 */
export function orElse<T, F>(pending: Promise<T>, signal: AbortSignal, fallback: F): Promise<T | F> {
  return untilAborted(pending, signal).catch(() => {
    signal.throwIfAborted()
    return fallback
  })
}
