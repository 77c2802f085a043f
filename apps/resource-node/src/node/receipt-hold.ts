/** The receipts a resource node holds as a provider, in `<dataDir>/receipts.sqlite`: they outlive a crash. */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { decodeReceipt } from '@stratos-edge/core'
import type { HeldReceipt, ReceiptHoldStore } from '@stratos-edge/protocol'

/** The database file in the data directory. */
export const RECEIPT_HOLD_FILE = 'receipts.sqlite'

interface Row {
  key: string
  bytes: Uint8Array
  state: HeldReceipt['state']
  reason: string | null
  ticket_expires_at: number | null
}

function revive(row: Row): HeldReceipt {
  const bytes = new Uint8Array(row.bytes)
  return {
    receipt: decodeReceipt(bytes),
    bytes,
    state: row.state,
    ...(row.reason !== null ? { reason: row.reason } : {}),
    ...(row.ticket_expires_at !== null ? { ticketExpiresAt: Number(row.ticket_expires_at) } : {}),
  }
}

/**
 * Opens (creating) the hold: one row per (downloader, ticket, epoch), WAL with full syncs.
 *
 * @example
 * ```ts
 * const hold = openSqliteReceiptHold(dataDir)
 * await registerReceiptProtocol(libp2p, { network, provider, hold })
 * ```
 */
export function openSqliteReceiptHold(dataDir: string): ReceiptHoldStore & { close(): void } {
  mkdirSync(dataDir, { recursive: true })
  const db = new DatabaseSync(join(dataDir, RECEIPT_HOLD_FILE))
  db.exec('PRAGMA journal_mode = WAL')
  db.exec('PRAGMA synchronous = FULL')
  db.exec('PRAGMA busy_timeout = 5000')
  db.exec(
    `CREATE TABLE IF NOT EXISTS held_receipts (
       key TEXT PRIMARY KEY, bytes BLOB NOT NULL, state TEXT NOT NULL, reason TEXT,
       ticket_expires_at INTEGER)`,
  )
  // Holds made before the ticket's expiry was kept gain the column (empty on their rows).
  const columns = db.prepare('PRAGMA table_info(held_receipts)').all() as { name: string }[]
  if (!columns.some((c) => c.name === 'ticket_expires_at'))
    db.exec('ALTER TABLE held_receipts ADD COLUMN ticket_expires_at INTEGER')
  const q = {
    get: db.prepare('SELECT * FROM held_receipts WHERE key = ?'),
    put: db.prepare(
      `INSERT INTO held_receipts (key, bytes, state, reason, ticket_expires_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET bytes = excluded.bytes, state = excluded.state,
         reason = excluded.reason, ticket_expires_at = excluded.ticket_expires_at`,
    ),
    list: db.prepare('SELECT * FROM held_receipts'),
    delete: db.prepare('DELETE FROM held_receipts WHERE key = ?'),
  }
  return {
    async get(key) {
      const row = q.get.get(key) as Row | undefined
      return row && revive(row)
    },
    async put(key, held) {
      q.put.run(key, held.bytes, held.state, held.reason ?? null, held.ticketExpiresAt ?? null)
    },
    async list() {
      return (q.list.all() as unknown as Row[]).map(revive)
    },
    async delete(key) {
      q.delete.run(key)
    },
    close() {
      db.close()
    },
  }
}
