/** Traffic receipts this node holds as a provider, in the slice database: they outlive a reload. */
import { decodeReceipt } from '@stratos-edge/core'
import type { HeldReceipt, ReceiptHoldStore } from '@stratos-edge/protocol'
import type { SliceDatabase, StoredReceipt } from './slice-schema.js'

/**
 * A `ReceiptHoldStore` in `database()`'s `receipts` store.
 *
 * @example
 * ```ts
 * const hold = createIdbReceiptHold({ database: () => db })
 * await hold.put(heldReceiptKey(receipt), { receipt, bytes, state: 'pending' })
 * ```
 */
export function createIdbReceiptHold(components: { database(): SliceDatabase }): ReceiptHoldStore {
  const revive = (v: StoredReceipt): HeldReceipt => ({
    receipt: decodeReceipt(v.bytes),
    bytes: v.bytes,
    state: v.state,
    ...(v.reason !== undefined ? { reason: v.reason } : {}),
    ...(v.ticketExpiresAt !== undefined ? { ticketExpiresAt: v.ticketExpiresAt } : {}),
  })
  return {
    async get(key) {
      const v = await components.database().get('receipts', key)
      return v && revive(v)
    },
    async put(key, held) {
      await components.database().put(
        'receipts',
        {
          bytes: held.bytes,
          state: held.state,
          ...(held.reason !== undefined ? { reason: held.reason } : {}),
          ...(held.ticketExpiresAt !== undefined ? { ticketExpiresAt: held.ticketExpiresAt } : {}),
        },
        key,
      )
    },
    async list() {
      return (await components.database().getAll('receipts')).map(revive)
    },
    async delete(key) {
      await components.database().delete('receipts', key)
    },
  }
}
