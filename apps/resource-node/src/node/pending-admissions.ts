import type { TicketAdmission } from '../gateway/ticket-gate.js'

/** Pushed slices whose ticket was charged at admission and that are not stored yet, by peer. */
export interface PendingAdmissions {
  /** Charges the push of `hash` by `peer` (`charge` throws the gate's errors) and notes it until stored. */
  add(peer: string, hash: string, charge: () => TicketAdmission): void
  /**
   * The push of `hash` by `peer` was stored: a slice held already after all (`isNew` false, another push
   * won the race) gives its bytes back; a new one whose charge was given back by {@link failed} is charged
   * again (not refused: it is stored).
   */
  stored(peer: string, hash: string, isNew: boolean): void
  /**
   * A push stream of `peer` failed: its pending slices that are not held (`held`) give their bytes back,
   * since the uploader sends them again. Those another stream of the peer stores later are charged again.
   */
  failed(peer: string, held: (hash: string) => Promise<boolean>): Promise<void>
}

interface Pending {
  peer: string
  hash: string
  charge: () => TicketAdmission
  admission: TicketAdmission
  refunded: boolean
}

/**
 * Creates the record of charged pushes still in flight, so that a push that fails halfway, or whose slice
 * turns out to be held already, costs its ticket nothing. At most `max` are kept (default 4096, far above
 * what the push pipelines hold at once); past it the oldest is forgotten as it stands.
 *
 * @example
 * ```ts
 * const pending = createPendingAdmissions()
 * pending.add(peer, hash, () => gate.admit(ticket, { bytes, fileHash }))
 * ```
 */
export function createPendingAdmissions(init: { max?: number } = {}): PendingAdmissions {
  const max = init.max ?? 4096
  const byKey = new Map<string, Pending>()
  const key = (peer: string, hash: string): string => `${peer}/${hash}`
  return {
    add(peer, hash, charge) {
      const admission = charge()
      byKey.delete(key(peer, hash))
      byKey.set(key(peer, hash), { peer, hash, charge, admission, refunded: false })
      if (byKey.size > max) byKey.delete(byKey.keys().next().value as string)
    },
    stored(peer, hash, isNew) {
      const k = key(peer, hash)
      const entry = byKey.get(k)
      if (!entry) return
      byKey.delete(k)
      if (!isNew && !entry.refunded) entry.admission.refund()
      if (isNew && entry.refunded) {
        try {
          entry.charge()
        } catch {
          // The ticket was used up meanwhile: the slice is stored all the same.
        }
      }
    },
    async failed(peer, held) {
      const entries = [...byKey.values()].filter((e) => e.peer === peer && !e.refunded)
      for (const entry of entries) {
        const isHeld = await held(entry.hash).catch(() => true)
        const k = key(peer, entry.hash)
        if (byKey.get(k) !== entry) continue // stored meanwhile
        if (isHeld) {
          byKey.delete(k) // stored (its ack was lost): rightly charged
          continue
        }
        entry.admission.refund()
        entry.refunded = true
      }
    },
  }
}
