import type { TicketAdmission } from '../gateway/ticket-gate.js'

/** Pushed slices whose ticket was charged at admission and that are not stored yet, by peer. */
export interface PendingAdmissions {
  /** Notes the admission of `hash` pushed by `peer` (charged, not stored yet). */
  add(peer: string, hash: string, admission: TicketAdmission): void
  /** The admission of `hash` pushed by `peer`, forgotten: it was stored (or found held). */
  take(peer: string, hash: string): TicketAdmission | undefined
  /** Forgets every admission of `peer` still pending (they stay charged). */
  forget(peer: string): void
}

/**
 * Creates the record of charged pushes still in flight, so that a push whose slice turned out to be held
 * already (another push stored it meanwhile) gives its bytes back to the ticket. At most `max` are kept
 * (default 4096, far above what the push pipelines hold at once); past it the oldest stays charged.
 *
 * @example
 * ```ts
 * const pending = createPendingAdmissions()
 * pending.add(peer, hash, gate.admit(ticket, { bytes, fileHash }))
 * ```
 */
export function createPendingAdmissions(init: { max?: number } = {}): PendingAdmissions {
  const max = init.max ?? 4096
  const byKey = new Map<string, { peer: string; admission: TicketAdmission }>()
  const key = (peer: string, hash: string): string => `${peer}/${hash}`
  return {
    add(peer, hash, admission) {
      byKey.set(key(peer, hash), { peer, admission })
      if (byKey.size > max) byKey.delete(byKey.keys().next().value as string)
    },
    take(peer, hash) {
      const k = key(peer, hash)
      const found = byKey.get(k)
      byKey.delete(k)
      return found?.admission
    },
    forget(peer) {
      for (const [k, e] of byKey) if (e.peer === peer) byKey.delete(k)
    },
  }
}
