import { UploadBusyError } from '@stratos-edge/protocol'

/** Options of {@link createUploadBudget}. */
export interface UploadBudgetInit {
  /** Most upload bytes held in memory at once, over all clients. */
  maxBytes: number
  /**
   * Most bytes one client (one remote address) holds at once; default a quarter of `maxBytes`. A client
   * holding nothing may always start one upload, however large, when the budget has room for it.
   */
  perClientBytes?: number
  /** An upload waiting this long for its turn is refused with UploadBusyError, ms. */
  waitTimeoutMs: number
  /**
   * Most uploads waiting at once (default {@link MAX_WAITING}); more are refused with UploadBusyError at
   * once. Also bounds the scan each release makes of the waiting list.
   */
  maxWaiting?: number
}

/** Uploads waiting for memory at once, by default. */
export const MAX_WAITING = 1024

/** Memory for upload bodies, shared fairly between clients. */
export interface UploadBudget {
  /**
   * Waits until `bytes` fit, within the whole budget and `client`'s share, and returns the release.
   * Rejects with UploadBusyError after the wait timeout, or with the signal's reason when it aborts.
   */
  acquire(bytes: number, client: string, signal?: AbortSignal): Promise<() => void>
  /** Bytes held now (tests, metrics). */
  readonly usedBytes: number
}

interface Waiter {
  bytes: number
  client: string
  go(): void
}

/**
 * Creates the upload memory budget. Waiters are admitted in arrival order, except that one whose client
 * holds its share already is passed over: a client trickling many uploads holds at most its share, and
 * other clients' uploads go ahead of its extra ones. No wait is endless: past `waitTimeoutMs` the upload
 * is refused (503), so a full node answers instead of holding connections open; and the waiting list is
 * bounded (`maxWaiting`), so each release scans a bounded list.
 *
 * @example
 * ```ts
 * const budget = createUploadBudget({ maxBytes: 256 * 2 ** 20, waitTimeoutMs: 30_000 })
 * const release = await budget.acquire(size, req.socket.remoteAddress ?? '')
 * try { await readBody() } finally { release() }
 * ```
 */
export function createUploadBudget(init: UploadBudgetInit): UploadBudget {
  const max = init.maxBytes
  const perClient = init.perClientBytes ?? Math.floor(max / 4)
  let used = 0
  const byClient = new Map<string, number>()
  const waiting: Waiter[] = []
  const maxWaiting = init.maxWaiting ?? MAX_WAITING

  const fits = (w: Waiter): 'yes' | 'client' | 'budget' => {
    const held = byClient.get(w.client) ?? 0
    if (held > 0 && held + w.bytes > perClient) return 'client'
    if (used > 0 && used + w.bytes > max) return 'budget'
    return 'yes'
  }
  const take = (client: string, bytes: number): void => {
    used += bytes
    byClient.set(client, (byClient.get(client) ?? 0) + bytes)
  }
  const give = (client: string, bytes: number): void => {
    used -= bytes
    const left = (byClient.get(client) ?? 0) - bytes
    if (left > 0) byClient.set(client, left)
    else byClient.delete(client)
  }
  const admit = (): void => {
    for (let i = 0; i < waiting.length; ) {
      const w = waiting[i] as Waiter
      const verdict = fits(w)
      // The first waiter the budget cannot take keeps its place: later, smaller ones do not overtake it.
      if (verdict === 'budget') return
      if (verdict === 'client') {
        i++
        continue
      }
      waiting.splice(i, 1)
      take(w.client, w.bytes)
      w.go()
    }
  }

  return {
    acquire(bytes, client, signal) {
      return new Promise((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason)
        if (waiting.length >= maxWaiting) {
          return reject(
            new UploadBusyError(
              `${waiting.length} uploads wait for memory already (${used} of ${max} bytes held)`,
              'Upload again later, or to another node',
            ),
          )
        }
        let released = false
        const release = (): void => {
          if (released) return
          released = true
          give(client, bytes)
          admit()
        }
        const leave = (err: unknown): void => {
          const i = waiting.indexOf(w)
          if (i < 0) return
          waiting.splice(i, 1)
          clearTimeout(timer)
          signal?.removeEventListener('abort', onAbort)
          admit() // one passed over for it may fit now
          reject(err)
        }
        const w: Waiter = {
          bytes,
          client,
          go: () => {
            clearTimeout(timer)
            signal?.removeEventListener('abort', onAbort)
            resolve(release)
          },
        }
        const onAbort = (): void => leave(signal?.reason)
        const timer = setTimeout(
          () =>
            leave(
              new UploadBusyError(
                `No upload memory came free in ${init.waitTimeoutMs} ms (${used} of ${max} bytes held)`,
                'Upload again later, or to another node',
              ),
            ),
          init.waitTimeoutMs,
        )
        signal?.addEventListener('abort', onAbort, { once: true })
        waiting.push(w)
        admit()
      })
    },
    get usedBytes() {
      return used
    },
  }
}
