import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import type { FileHash } from '@stratos-edge/core'

/** The file in the data directory that keeps the expiries. */
export const TICKET_EXPIRIES_FILE = 'ticket-expiries.sqlite'

/**
 * Per file, when the latest upload ticket admitted for it expires: its slices are paid until then (plus
 * the eviction's margin), though their manifest has not come yet.
 */
export interface TicketExpiries {
  /** Keeps `expiresAt` (ms since the epoch) for `fileHash` unless a later one is kept already. */
  note(fileHash: FileHash, expiresAt: number): void
  /** When the latest ticket admitted for `fileHash` expires, ms (undefined: none kept). */
  expiryOf(fileHash: FileHash): number | undefined
  /** Forgets files whose expiry is over `keptPastMs` in the past; returns how many went. */
  prune(): number
  readonly size: number
  close(): void
}

/** Options of {@link createMemoryTicketExpiries} and {@link openTicketExpiries}. */
export interface TicketExpiriesInit {
  /** How long past its expiry a file is remembered, ms (default an hour: longer than any eviction margin). */
  keptPastMs?: number
  /** Files remembered at once (default 65 536); past it the least recently ticketed go first. */
  maxFiles?: number
  /** Milliseconds clock (default `Date.now`). */
  now?: () => number
}

/** How often a note also prunes, ms. */
const PRUNE_EVERY_MS = 60_000

/**
 * The expiries in memory only (a restart forgets them): for a node without a data directory, and the
 * cache {@link openTicketExpiries} keeps in front of its database.
 *
 * @example
 * ```ts
 * const expiries = createMemoryTicketExpiries()
 * expiries.note(fileHash, ticket.expiresAt * 1000)
 * ```
 */
export function createMemoryTicketExpiries(
  init: TicketExpiriesInit = {},
  onDrop: (fileHash: FileHash) => void = () => {},
): TicketExpiries & { set(fileHash: FileHash, expiresAt: number): void } {
  const now = init.now ?? Date.now
  const keptPastMs = init.keptPastMs ?? 3_600_000
  const maxFiles = init.maxFiles ?? 65_536
  const files = new Map<FileHash, number>()
  let prunedAt = 0
  const drop = (fileHash: FileHash) => {
    files.delete(fileHash)
    onDrop(fileHash)
  }
  const prune = (): number => {
    const t = now()
    prunedAt = t
    let dropped = 0
    for (const [f, at] of files) {
      if (at + keptPastMs > t) continue
      drop(f)
      dropped++
    }
    return dropped
  }
  return {
    set: (fileHash, expiresAt) => files.set(fileHash, expiresAt),
    note(fileHash, expiresAt) {
      if ((files.get(fileHash) ?? 0) >= expiresAt) return
      files.delete(fileHash) // re-inserted last: the least recently ticketed file goes first
      files.set(fileHash, expiresAt)
      if (files.size > maxFiles || now() - prunedAt >= PRUNE_EVERY_MS) prune()
      while (files.size > maxFiles) drop(files.keys().next().value as FileHash)
    },
    expiryOf: (fileHash) => files.get(fileHash),
    prune,
    get size() {
      return files.size
    },
    close() {},
  }
}

/**
 * Opens the expiries kept in `<dataDir>/ticket-expiries.sqlite` (`node:sqlite`, WAL, synchronous FULL),
 * so that an upload in progress stays protected from eviction across a restart. Read once at open into
 * memory; each new or later expiry is one row written. Expired ones are pruned at open and as notes come.
 *
 * @example
 * ```ts
 * const expiries = openTicketExpiries({ dataDir })
 * const gate = createTicketGate({ issuers, network }, { expiries })
 * ```
 */
export function openTicketExpiries(init: TicketExpiriesInit & { dataDir: string }): TicketExpiries {
  const db = new DatabaseSync(join(init.dataDir, TICKET_EXPIRIES_FILE))
  db.exec('PRAGMA journal_mode = WAL')
  db.exec('PRAGMA synchronous = FULL')
  db.exec('PRAGMA busy_timeout = 5000')
  db.exec(
    'CREATE TABLE IF NOT EXISTS file_ticket_expiry (file_hash TEXT PRIMARY KEY, expires_at INTEGER NOT NULL) STRICT',
  )
  const upsert = db.prepare(
    'INSERT INTO file_ticket_expiry (file_hash, expires_at) VALUES (?, ?) ' +
      'ON CONFLICT (file_hash) DO UPDATE SET expires_at = excluded.expires_at WHERE excluded.expires_at > expires_at',
  )
  const remove = db.prepare('DELETE FROM file_ticket_expiry WHERE file_hash = ?')
  const memory = createMemoryTicketExpiries(init, (fileHash) => remove.run(fileHash))
  for (const row of db.prepare('SELECT file_hash, expires_at FROM file_ticket_expiry').all()) {
    memory.set(row.file_hash as FileHash, Number(row.expires_at))
  }
  memory.prune()
  return {
    note(fileHash, expiresAt) {
      if ((memory.expiryOf(fileHash) ?? 0) >= expiresAt) return
      upsert.run(fileHash, expiresAt)
      memory.note(fileHash, expiresAt)
    },
    expiryOf: (fileHash) => memory.expiryOf(fileHash),
    prune: () => memory.prune(),
    get size() {
      return memory.size
    },
    close: () => db.close(),
  }
}
