/**
 * Final receipts signed but not yet acknowledged by their provider, kept in the node's store (one small
 * setting) so a tab closed right after a download still pays its providers: the next start sends them.
 */
import { fromHex, toHex } from '@stratos-edge/core'
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
  settings: {
    getSetting(name: string): Promise<Uint8Array | undefined>
    setSetting(name: string, value: Uint8Array): Promise<void>
  }
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
  const maxReceipts = init.maxReceipts ?? 64
  const maxAgeMs = init.maxAgeMs ?? 24 * 3600_000
  const now = components.now ?? Date.now
  let chain: Promise<unknown> = Promise.resolve()
  const serial = <T>(op: () => Promise<T>): Promise<T> => {
    const run = chain.then(op, op)
    chain = run.catch(() => {})
    return run
  }
  const read = async (): Promise<Stored[]> => {
    const raw = await components.settings.getSetting(SETTING)
    if (!raw) return []
    try {
      const parsed = JSON.parse(new TextDecoder().decode(raw)) as Stored[]
      const fresh = now() - maxAgeMs
      return Array.isArray(parsed) ? parsed.filter((s) => s.at >= fresh) : []
    } catch {
      return [] // unreadable: nothing to resend
    }
  }
  const write = (all: Stored[]) =>
    components.settings.setSetting(SETTING, new TextEncoder().encode(JSON.stringify(all.slice(-maxReceipts))))
  return {
    keep: (kept) =>
      serial(async () => {
        const all = await read()
        if (all.some((s) => s.key === kept.key && s.bytes >= kept.bytes)) return
        const others = all.filter((s) => s.key !== kept.key)
        const { receipt, ticket, ...rest } = kept
        await write([...others, { ...rest, receipt: toHex(receipt), ticket: toHex(ticket) }])
      }),
    sent: (key, bytes) =>
      serial(async () => {
        const all = await read()
        const left = all.filter((s) => !(s.key === key && s.bytes <= bytes))
        if (left.length !== all.length) await write(left)
      }),
    list: () =>
      serial(async () =>
        (await read()).map((s) => ({ ...s, receipt: fromHex(s.receipt), ticket: fromHex(s.ticket) })),
      ),
  }
}
