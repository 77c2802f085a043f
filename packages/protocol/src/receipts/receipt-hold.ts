/** What a provider keeps of the receipts its downloaders sent: the newest per (downloader, ticket, epoch). */
import type { TrafficReceipt } from '@stratos-edge/core'

/** One held receipt and whether the meta service has taken it yet. */
export interface HeldReceipt {
  receipt: TrafficReceipt
  /** The receipt exactly as signed and sent (core's `encodeReceipt`), ready to submit. */
  bytes: Uint8Array
  /** 'pending' until the meta service answered for this very receipt; then 'submitted' or 'rejected'. */
  state: 'pending' | 'submitted' | 'rejected'
  /** The meta service's reason, for a rejected one. */
  reason?: string
  /**
   * Unix seconds at which the receipt's download ticket expires. Once it is long past, the provider
   * refuses the receipt anyway, so a submitted or rejected one can be deleted (see the submitter).
   */
  ticketExpiresAt?: number
}

/**
 * Durable storage of held receipts (IndexedDB in a light node, the data directory on a resource node).
 * `put` replaces the receipt of the same key.
 */
export interface ReceiptHoldStore {
  get(key: string): Promise<HeldReceipt | undefined>
  put(key: string, held: HeldReceipt): Promise<void>
  /** Every held receipt (a provider holds one per downloader, ticket and epoch: few). */
  list(): Promise<HeldReceipt[]>
  delete(key: string): Promise<void>
}

/** The key a receipt is held under: one per (downloader, ticket, epoch). */
export function heldReceiptKey(r: Pick<TrafficReceipt, 'downloader' | 'ticketId' | 'epoch'>): string {
  return `${r.downloader.toLowerCase()}:${r.ticketId.toLowerCase()}:${r.epoch}`
}

/**
 * How `candidate` compares with the held receipt of its key: `newer` replaces it, `duplicate` is the
 * same one, `stale` is older, `not-cumulative` is newer but counts fewer bytes (the downloader lied to
 * one of them).
 */
export function compareReceipts(
  candidate: TrafficReceipt,
  held: TrafficReceipt | undefined,
): 'newer' | 'duplicate' | 'stale' | 'not-cumulative' {
  if (!held) return 'newer'
  if (candidate.nonce === held.nonce) return candidate.bytes === held.bytes ? 'duplicate' : 'stale'
  if (candidate.nonce < held.nonce) return 'stale'
  return candidate.bytes < held.bytes ? 'not-cumulative' : 'newer'
}

/**
 * A {@link ReceiptHoldStore} in memory: for tests and nodes without a data directory.
 *
 * @example
 * ```ts
 * const hold = createMemoryReceiptHold()
 * await registerReceiptProtocol(libp2p, { network: 137, provider: nodeKey.evmAddress, hold })
 * ```
 */
export function createMemoryReceiptHold(): ReceiptHoldStore {
  const held = new Map<string, HeldReceipt>()
  return {
    async get(key) {
      return held.get(key)
    },
    async put(key, value) {
      held.set(key, value)
    },
    async list() {
      return [...held.values()]
    },
    async delete(key) {
      held.delete(key)
    },
  }
}
