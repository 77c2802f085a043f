import type { DatabaseSync } from 'node:sqlite'
import { defineErrorClass } from '@stratos-edge/core'

/**
 * The ledger's schema, one migration per version. Each runs once, in its own transaction, and sets
 * `PRAGMA user_version` to its number; append new ones, never edit a shipped one. Amounts are decimal
 * TEXT: STOS wei and ozone exceed SQLite's 64-bit integers.
 */
export const LEDGER_MIGRATIONS: readonly string[] = [
  // 1: payments credited, refunds taken, balances, the ozone market, the payment watcher's state.
  `CREATE TABLE payments (
     key TEXT PRIMARY KEY,
     chain_id INTEGER NOT NULL,
     tx_hash TEXT NOT NULL,
     log_index INTEGER NOT NULL,
     block_number INTEGER NOT NULL,
     payment_id TEXT NOT NULL,
     payer TEXT NOT NULL,
     beneficiary TEXT NOT NULL,
     amount TEXT NOT NULL,
     ozone TEXT NOT NULL,
     seq INTEGER NOT NULL UNIQUE
   );
   CREATE UNIQUE INDEX payments_by_id ON payments (chain_id, payment_id);
   CREATE TABLE refunds (
     key TEXT PRIMARY KEY,
     chain_id INTEGER NOT NULL,
     payment_id TEXT NOT NULL,
     amount TEXT NOT NULL,
     ozone TEXT NOT NULL
   );
   CREATE TABLE balances (
     owner TEXT PRIMARY KEY,
     ozone TEXT NOT NULL
   );
   CREATE TABLE market (
     id INTEGER PRIMARY KEY CHECK (id = 1),
     total_deposit TEXT NOT NULL,
     unissued_prepay TEXT NOT NULL,
     remaining_ozone_limit TEXT NOT NULL
   );
   CREATE TABLE watcher_state (
     id INTEGER PRIMARY KEY CHECK (id = 1),
     state TEXT NOT NULL
   );`,
  // 2: ozone reserved by upload tickets, keyed by ticket id (a replayed request reserves nothing new).
  `CREATE TABLE reservations (
     ticket_id TEXT PRIMARY KEY,
     owner TEXT NOT NULL,
     ozone TEXT NOT NULL,
     expires_at INTEGER NOT NULL
   );
   CREATE INDEX reservations_by_owner ON reservations (owner);`,
  // 3: download tickets (Proof of Traffic): their reservation keeps the signed ticket (the settlement's
  // ticket book); traffic charges, one per settled epoch and owner, each taken once by its key.
  `ALTER TABLE reservations ADD COLUMN kind TEXT NOT NULL DEFAULT 'upload';
   ALTER TABLE reservations ADD COLUMN ticket BLOB;
   CREATE INDEX reservations_by_kind_expiry ON reservations (kind, expires_at);
   CREATE TABLE traffic_charges (
     key TEXT PRIMARY KEY,
     epoch INTEGER NOT NULL,
     owner TEXT NOT NULL,
     ozone TEXT NOT NULL
   );`,
  // 4: upload reservations given back: what a commit did not use, or all of an expired ticket's.
  `ALTER TABLE reservations ADD COLUMN upload_done TEXT;
   CREATE INDEX reservations_open_uploads ON reservations (kind, upload_done, expires_at);`,
  // 5: a download ticket's holder and file, so a new request of the same holder for the same file and
  // owner gets the live ticket back instead of reserving the owner's ozone again.
  `ALTER TABLE reservations ADD COLUMN holder TEXT;
   ALTER TABLE reservations ADD COLUMN file_hash TEXT;
   CREATE INDEX reservations_by_download ON reservations (holder, file_hash, owner, expires_at);`,
]

/** The schema version a database has (0 when new). */
export function schemaVersion(db: DatabaseSync): number {
  const row = db.prepare('PRAGMA user_version').get() as { user_version: number }
  return row.user_version
}

/**
 * Brings `db` up to the newest schema, each pending migration in its own transaction. Refuses a database
 * from a newer build (its version is past the last migration known here).
 */
export function migrateLedger(db: DatabaseSync, migrations: readonly string[] = LEDGER_MIGRATIONS): number {
  const from = schemaVersion(db)
  if (from > migrations.length) {
    throw new LedgerSchemaError(
      `The ledger database has schema version ${from}, newer than this build knows (${migrations.length})`,
      'Run a newer build of the node, or point it at another data directory',
    )
  }
  for (let version = from + 1; version <= migrations.length; version++) {
    db.exec('BEGIN IMMEDIATE')
    try {
      db.exec(migrations[version - 1] as string)
      db.exec(`PRAGMA user_version = ${version}`)
      db.exec('COMMIT')
    } catch (err) {
      db.exec('ROLLBACK')
      throw err
    }
  }
  return migrations.length
}

/** The ledger database was written by a newer build. */
export class LedgerSchemaError extends defineErrorClass('LedgerSchemaError') {}
