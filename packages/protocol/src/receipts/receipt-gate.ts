/**
 * The provider's side of "a downloader that stops signing is no longer served": bytes served to each
 * peer less the bytes its receipts added, refused past a small grace.
 */
import { ReceiptsOverdueError } from '../errors.js'

/** Options of {@link createReceiptGate}. */
export interface ReceiptGateInit {
  /** Bytes a peer may have been served without receipts before it is refused; default 32 MiB. */
  graceBytes?: number
  /** Peers tracked at once; the one idle longest is forgotten first. Default 4096. */
  maxPeers?: number
}

/** Counts served and receipted bytes per peer. */
export interface ReceiptGate {
  /** Throws `ReceiptsOverdueError` when `peer` owes receipts for more than the grace. */
  check(peer: string): void
  /** `bytes` were sent to `peer`. */
  served(peer: string, bytes: number): void
  /** A receipt from `peer` raised its signed total by `bytes`. */
  credit(peer: string, bytes: number): void
  /** Bytes `peer` was served and has not signed for (negative: signed ahead). */
  owed(peer: string): number
}

/**
 * Creates a gate. A peer may sign ahead by up to one grace (its receipt may arrive before the provider
 * counted the slice as served).
 *
 * @example
 * ```ts
 * const gate = createReceiptGate({ graceBytes: 16 << 20 })
 * await registerSliceProtocols(libp2p, { store, admitReceipts: (_req, peer) => gate.check(peer.toString()) })
 * ```
 */
export function createReceiptGate(init: ReceiptGateInit = {}): ReceiptGate {
  const grace = init.graceBytes ?? 32 * 1024 * 1024
  const maxPeers = init.maxPeers ?? 4096
  const owed = new Map<string, number>()
  const set = (peer: string, value: number): void => {
    owed.delete(peer)
    owed.set(peer, Math.max(-grace, value))
    if (owed.size > maxPeers) owed.delete(owed.keys().next().value as string)
  }
  return {
    check(peer) {
      const o = owed.get(peer) ?? 0
      if (o > grace) {
        throw new ReceiptsOverdueError(
          `Peer owes receipts for ${o} bytes (grace ${grace})`,
          'Sign a receipt for the bytes received from this provider, send it, then ask again',
        )
      }
    },
    served(peer, bytes) {
      set(peer, (owed.get(peer) ?? 0) + bytes)
    },
    credit(peer, bytes) {
      set(peer, (owed.get(peer) ?? 0) - bytes)
    },
    owed(peer) {
      return owed.get(peer) ?? 0
    },
  }
}
