/**
 * Final receipts signed but not yet acknowledged by their provider, kept in the node's store (one small
 * setting) so a tab closed right after a download still pays its providers: the next start sends them.
 */
import { fromHex, toHex } from '@stratos-edge/core'
import { createSettingList, type StoreSettings } from '../../store/setting-list.js'
import type { ProviderInfo } from '../network-index.js'

/** A signed final receipt waiting for its provider's acknowledgement. */
export interface KeptReceipt {
  /** Ticket, provider and epoch: a later receipt under the same key replaces the kept one. */
  key: string
  provider: ProviderInfo
  /** The receipt's cumulative total. */
  bytes: number
  /** Encoded receipt and the encoded ticket it is under. */
  receipt: Uint8Array
  ticket: Uint8Array
  /** Milliseconds since the Unix epoch it was kept. */
  at: number
}

/** Options of {@link createReceiptOutbox}. */
export interface ReceiptOutboxInit {
  /** Receipts kept at most; the oldest goes first. Default 64. */
  maxReceipts?: number
  /** Receipts older than this are dropped (their epoch is long settled); default 24 h. */
  maxAgeMs?: number
}

/** Edges of {@link createReceiptOutbox}. */
export interface ReceiptOutboxComponents {
  /** The node store's small settings. */
  settings: StoreSettings
  /** Milliseconds since the Unix epoch; default `Date.now`. */
  now?: () => number
}

/** The kept receipts. Operations are serialised; none rejects on a malformed stored value. */
export interface ReceiptOutbox {
  /** Keeps `kept` (replacing a smaller total under its key); resolves once written. */
  keep(kept: KeptReceipt): Promise<void>
  /** The provider acknowledged `bytes` under `key`: the kept receipt is dropped if it is covered. */
  sent(key: string, bytes: number): Promise<void>
  /** The kept receipts, oldest first, none older than `maxAgeMs`. */
  list(): Promise<KeptReceipt[]>
}

const SETTING = 'receipt-outbox'

interface Stored {
  key: string
  provider: ProviderInfo
  bytes: number
  receipt: string
  ticket: string
  at: number
}

/**
 * Creates the outbox over the node store's settings.
 *
 * @example
 * ```ts
 * const outbox = createReceiptOutbox({}, { settings: store })
 * await outbox.keep({ key, provider, bytes, receipt, ticket, at: Date.now() })
 * ```
 */
export function createReceiptOutbox(
  init: ReceiptOutboxInit,
  components: ReceiptOutboxComponents,
): ReceiptOutbox {
  const list = createSettingList<Stored>(
    { name: SETTING, max: init.maxReceipts ?? 64, maxAgeMs: init.maxAgeMs ?? 24 * 3600_000, at: (s) => s.at },
    components,
  )
  return {
    keep: (kept) =>
      list.update((all) => {
        if (all.some((s) => s.key === kept.key && s.bytes >= kept.bytes)) return undefined
        const { receipt, ticket, ...rest } = kept
        const others = all.filter((s) => s.key !== kept.key)
        return [...others, { ...rest, receipt: toHex(receipt), ticket: toHex(ticket) }]
      }),
    sent: (key, bytes) =>
      list.update((all) => {
        const left = all.filter((s) => !(s.key === key && s.bytes <= bytes))
        return left.length !== all.length ? left : undefined
      }),
    list: async () =>
      (await list.read()).map((s) => ({ ...s, receipt: fromHex(s.receipt), ticket: fromHex(s.ticket) })),
  }
}
