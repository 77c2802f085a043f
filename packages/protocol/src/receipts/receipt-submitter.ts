/**
 * The provider's side of settlement: the receipts it holds go to the meta service soon after they
 * arrive, and again whenever a newer one replaces them, so the last one of an epoch is in before the
 * late window closes. A failed submission is retried on the next round. A submitted or rejected receipt
 * is deleted once its ticket is long expired (the provider refuses it then, so it cannot come back).
 */
import { heldReceiptKey, type ReceiptHoldStore } from './receipt-hold.js'

/** Options of {@link createReceiptSubmitter}. */
export interface ReceiptSubmitterInit {
  /** Time between rounds; default 2 s (epochs of a few seconds in tests, late windows of a fifth). */
  everyMs?: number
  /** Wait after a receipt arrives before a round, so a burst goes in one batch; default 200 ms. */
  debounceMs?: number
  /**
   * Seconds after its ticket's expiry a submitted or rejected receipt is deleted; default 3600. Keep it
   * at least the receipt service's `ticketGraceSeconds`, or a deleted receipt could be credited again.
   */
  forgetAfterSeconds?: number
  /** Milliseconds since the Unix epoch; default `Date.now`. */
  now?: () => number
}

/** Edges of {@link createReceiptSubmitter}. */
export interface ReceiptSubmitterComponents {
  hold: ReceiptHoldStore
  /** The meta service's SUBMIT_RECEIPTS (the index client's `submitReceipts`, or an in-process meta service). */
  submit(receipts: Uint8Array[]): Promise<{ accepted: number; rejected: { index: number; reason: string }[] }>
  /** Each answer of the meta service (for events and tests). */
  onSubmitted?(result: { accepted: number; rejected: { reason: string }[] }): void
}

/** Runs submission rounds until stopped. */
export interface ReceiptSubmitter {
  /** A receipt arrived: submit soon. */
  poke(): void
  /** One round now: every pending receipt, in batches of up to 1024. */
  round(): Promise<void>
  stop(): void
}

/** Reasons after which submitting the same receipt again cannot help. */
const FINAL_REASONS = new Set([
  'late',
  'wrong-provider',
  'forged',
  'unknown-ticket',
  'invalid-ticket',
  'not-ticket-holder',
  'wrong-file',
  'over-claim',
  'self-dealing',
  'replayed',
  'stale',
  'not-cumulative',
])

/**
 * Creates a submitter and starts its rounds.
 *
 * @example
 * ```ts
 * const submitter = createReceiptSubmitter({}, { hold, submit: (r) => index.submitReceipts(r) })
 * submitter.poke()
 * ```
 */
export function createReceiptSubmitter(
  init: ReceiptSubmitterInit,
  components: ReceiptSubmitterComponents,
): ReceiptSubmitter {
  const { hold } = components
  let running: Promise<void> | undefined
  let again = false
  let stopped = false
  let debounce: ReturnType<typeof setTimeout> | undefined

  const forgetAfter = init.forgetAfterSeconds ?? 3600
  const now = init.now ?? Date.now

  const once = async (): Promise<void> => {
    const all = await hold.list()
    const nowSeconds = Math.floor(now() / 1000)
    for (const h of all) {
      // Held before tickets were recorded: settled long ago, and the ticket is checked if it comes back.
      const done = h.state !== 'pending' && (h.ticketExpiresAt ?? 0) + forgetAfter < nowSeconds
      if (done) await hold.delete(heldReceiptKey(h.receipt))
    }
    const pending = all.filter((h) => h.state === 'pending')
    for (let i = 0; i < pending.length && !stopped; i += 1024) {
      const batch = pending.slice(i, i + 1024)
      const result = await components.submit(batch.map((h) => h.bytes))
      components.onSubmitted?.(result)
      const reasons = new Map(result.rejected.map((r) => [r.index, r.reason]))
      for (const [j, h] of batch.entries()) {
        const reason = reasons.get(j)
        // A transient reason ('future', a meta service busy) leaves the receipt pending for the next round.
        if (reason !== undefined && !FINAL_REASONS.has(reason)) continue
        const key = heldReceiptKey(h.receipt)
        // Only the very receipt submitted: a newer one that arrived meanwhile stays pending.
        const now = await hold.get(key)
        if (!now || now.receipt.nonce !== h.receipt.nonce) continue
        await hold.put(key, {
          ...now,
          state: reason === undefined ? 'submitted' : 'rejected',
          ...(reason !== undefined ? { reason } : {}),
        })
      }
    }
  }

  const round = (): Promise<void> => {
    if (running) {
      again = true
      return running
    }
    running = (async () => {
      try {
        do {
          again = false
          await once()
        } while (again && !stopped)
      } finally {
        running = undefined
      }
    })()
    return running
  }

  const timer = setInterval(() => void round().catch(() => {}), init.everyMs ?? 2000)
  return {
    poke() {
      if (stopped) return
      clearTimeout(debounce)
      debounce = setTimeout(() => void round().catch(() => {}), init.debounceMs ?? 200)
    },
    round,
    stop() {
      stopped = true
      clearInterval(timer)
      clearTimeout(debounce)
    },
  }
}
