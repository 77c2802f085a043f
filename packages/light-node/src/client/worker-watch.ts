/**
 * Notices that the node's worker is gone: terminated, crashed, or hung. Two signals, whichever comes
 * first: a Web Lock the worker holds for its whole life (the browser releases it the moment the worker
 * ends, so the page's waiting request for it is granted), and a heartbeat the worker answers from its
 * event loop (a hung worker keeps its lock but stops answering). An `error` event makes the watch ping at
 * once with a short deadline: it is usually an uncaught exception in a worker that runs on.
 */

/** Page → worker: a heartbeat ping. */
export interface WorkerPing {
  stratosEdgePing: number
}
/** Worker → page: the answer to {@link WorkerPing}, or the notice that the worker holds its life lock. */
export type WorkerPong = { stratosEdgePong: number } | { stratosEdgeLifeLock: string }

/** What the watch needs of the worker. */
export interface WatchedWorker {
  postMessage(message: WorkerPing): void
  addEventListener(type: 'message' | 'error', listener: (event: Event) => void): void
  removeEventListener(type: 'message' | 'error', listener: (event: Event) => void): void
}

/** Options of {@link watchWorker}. */
export interface WorkerWatchInit {
  /** Time between pings; default 200 ms. */
  intervalMs?: number
  /**
   * A worker that has not answered for this long is hung; default 4000 ms (time the page itself was
   * blocked not counted). A worker that ended or crashed is reported at once through its life lock (the
   * 2 s requirement); the heartbeat only has to catch a hung one, so it leaves a busy worker on a loaded
   * machine room (1100 ms and 1400 ms both took healthy workers for hung ones).
   */
  timeoutMs?: number
  /** Deadline for the ping sent on an `error` event; default 500 ms. */
  errorTimeoutMs?: number
}

/** Components of {@link watchWorker}: the lock manager (`navigator.locks` where there is one). */
export interface WorkerWatchComponents {
  locks?: LockManager | undefined
}

/** A running watch; `stop()` ends it without reporting a loss (a node stopped on purpose). */
export interface WorkerWatch {
  stop(): void
}

/**
 * Calls `onLost` once when the worker is gone. The heartbeat is armed by the worker's first answer, so a
 * worker still loading its modules is not taken for a hung one (start-up has its own timeout).
 *
 * @example
 * ```ts
 * const watch = watchWorker(worker, (reason) => rejectEverything(new WorkerLostError(reason)))
 * // … on stop:
 * watch.stop()
 * ```
 */
export function watchWorker(
  worker: WatchedWorker,
  onLost: (reason: string) => void,
  init: WorkerWatchInit = {},
  components: WorkerWatchComponents = { locks: globalThis.navigator?.locks },
): WorkerWatch {
  const intervalMs = init.intervalMs ?? 200
  const timeoutMs = init.timeoutMs ?? 4000
  const errorTimeoutMs = init.errorTimeoutMs ?? 500
  const lockWait = new AbortController()
  let seq = 0
  let lastPong: number | undefined
  let deadline = Number.POSITIVE_INFINITY
  /** The first ping sent after the last `error` event. */
  let errorPing = 0
  let done = false

  const lost = (reason: string) => {
    if (done) return
    stop()
    onLost(reason)
  }
  const ping = () => worker.postMessage({ stratosEdgePing: ++seq })
  let lastTick = Date.now()
  const tick = () => {
    const now = Date.now()
    // A page that was itself blocked (this timer late) may still hold the worker's answers in its queue,
    // behind this task: the stall does not count against the worker.
    const stall = now - lastTick - intervalMs
    lastTick = now
    if (stall > intervalMs) {
      if (lastPong !== undefined) lastPong += stall
      deadline += stall
    }
    if (lastPong !== undefined && now - lastPong > timeoutMs)
      lost(`the worker has not answered for ${now - lastPong} ms`)
    else if (now > deadline) lost('the worker did not answer after an error event')
    else ping()
  }
  const onMessage = (event: Event) => {
    const data = (event as MessageEvent).data as Partial<{
      stratosEdgePong: number
      stratosEdgeLifeLock: string
    }>
    if (typeof data !== 'object' || data === null) return
    if (typeof data.stratosEdgePong === 'number') {
      lastPong = Date.now()
      // Only an answer to a ping sent after the error shows the worker outlived it.
      if (data.stratosEdgePong >= errorPing) deadline = Number.POSITIVE_INFINITY
    } else if (typeof data.stratosEdgeLifeLock === 'string' && components.locks) {
      // Granted only once the worker has let go of its lock: when it ended.
      components.locks
        .request(data.stratosEdgeLifeLock, { signal: lockWait.signal }, () => lost('the worker ended'))
        .catch(() => {})
    }
  }
  const onError = () => {
    if (deadline === Number.POSITIVE_INFINITY) {
      deadline = Date.now() + errorTimeoutMs
      errorPing = seq + 1
    }
    ping()
  }
  worker.addEventListener('message', onMessage)
  worker.addEventListener('error', onError)
  const timer = setInterval(tick, intervalMs)
  ping()

  function stop(): void {
    if (done) return
    done = true
    clearInterval(timer)
    lockWait.abort()
    worker.removeEventListener('message', onMessage)
    worker.removeEventListener('error', onError)
  }
  return { stop }
}
