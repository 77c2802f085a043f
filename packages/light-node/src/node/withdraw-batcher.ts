/**
 * Coalesces the slice hashes a light node stops holding into few index withdrawals: an eviction or a
 * drop removes many slices in a row, and one request per slice would flood the meta service.
 */

/** Options of {@link createWithdrawBatcher}. */
export interface WithdrawBatcherInit {
  /** Sends one withdrawal (the index client's `withdraw`). */
  withdraw(hashes: string[]): Promise<void>
  /**
   * True when the slice is held again by the time the batch is sent (re-stored in the meantime and so
   * announced again): such hashes are left out. Default: none are.
   */
  held?(hash: string): Promise<boolean>
  /** Hashes are gathered this long after the first one before they are sent; default 200 ms. */
  delayMs?: number
  /** Most hashes in one withdrawal; a full batch is sent at once. Default 4096. */
  maxBatch?: number
}

/** See {@link createWithdrawBatcher}. */
export interface WithdrawBatcher {
  /** Queues hashes to withdraw. */
  add(hashes: readonly string[]): void
  /** Sends what is queued now and waits for every withdrawal under way. */
  flush(): Promise<void>
  /** Hashes queued and not yet sent. */
  readonly pending: number
}

/**
 * Creates a withdrawal batcher: hashes added within `delayMs` of each other go out together, at most
 * `maxBatch` per request; a failed withdrawal is dropped like a failed announcement (the index forgets a
 * light node when it disconnects, and a provider that no longer has a slice is skipped by downloaders).
 *
 * @example
 * ```ts
 * const withdrawer = createWithdrawBatcher({ withdraw: (h) => index.withdraw(h), held: (h) => store.has(h) })
 * const store = await createIdbSliceStore({ onSlicesRemoved: (h) => withdrawer.add(h) })
 * ```
 */
export function createWithdrawBatcher(init: WithdrawBatcherInit): WithdrawBatcher {
  const delayMs = init.delayMs ?? 200
  const maxBatch = Math.max(1, init.maxBatch ?? 4096)
  let queued = new Set<string>()
  let timer: ReturnType<typeof setTimeout> | undefined
  const inflight = new Set<Promise<void>>()

  async function send(batch: string[]): Promise<void> {
    try {
      const held = init.held
      const again = held ? await Promise.all(batch.map((h) => held(h).catch(() => false))) : []
      const hashes = batch.filter((_, i) => again[i] !== true)
      if (hashes.length > 0) await init.withdraw(hashes)
    } catch {
      // The meta service is unreachable: ignored, as failed announcements are.
    }
  }

  function sendQueued(): void {
    if (timer !== undefined) {
      clearTimeout(timer)
      timer = undefined
    }
    const all = [...queued]
    queued = new Set()
    for (let i = 0; i < all.length; i += maxBatch) {
      const p = send(all.slice(i, i + maxBatch))
      inflight.add(p)
      void p.finally(() => inflight.delete(p))
    }
  }

  return {
    add(hashes) {
      for (const h of hashes) {
        queued.add(h)
        if (queued.size >= maxBatch) sendQueued()
      }
      if (queued.size > 0 && timer === undefined) timer = setTimeout(sendQueued, delayMs)
    },
    async flush() {
      sendQueued()
      await Promise.all([...inflight])
    },
    get pending() {
      return queued.size
    },
  }
}
