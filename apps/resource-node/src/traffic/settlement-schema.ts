/**
 * The settlement database's schema, one migration per version (run by the ledger's `migrateLedger`:
 * each in its own transaction, `PRAGMA user_version` set to its number). Append, never edit a shipped
 * one. Amounts that may pass 2^63 are decimal TEXT.
 */
export const SETTLEMENT_MIGRATIONS: readonly string[] = [
  // 1: latest receipt per pair, used nonces, settled epochs, ticket usage, ozone charges.
  `CREATE TABLE receipts (
     epoch INTEGER NOT NULL,
     downloader TEXT NOT NULL,
     provider TEXT NOT NULL,
     ticket_id TEXT NOT NULL,
     owner TEXT NOT NULL,
     bytes_allowed TEXT NOT NULL,
     bytes INTEGER NOT NULL,
     nonce TEXT NOT NULL,
     signature TEXT NOT NULL,
     PRIMARY KEY (epoch, downloader, provider, ticket_id)
   ) WITHOUT ROWID;
   CREATE TABLE nonces (
     downloader TEXT NOT NULL,
     ticket_id TEXT NOT NULL,
     nonce TEXT NOT NULL,
     signature TEXT NOT NULL,
     PRIMARY KEY (downloader, ticket_id, nonce)
   ) WITHOUT ROWID;
   CREATE TABLE epochs (
     epoch INTEGER PRIMARY KEY,
     report TEXT NOT NULL,
     report_digest TEXT NOT NULL,
     root TEXT,
     total TEXT NOT NULL,
     rewards TEXT NOT NULL,
     ticket_bytes TEXT NOT NULL,
     posted_tx TEXT
   );
   CREATE TABLE ticket_usage (
     ticket_id TEXT PRIMARY KEY,
     bytes TEXT NOT NULL
   );
   CREATE TABLE charges (
     key TEXT PRIMARY KEY,
     epoch INTEGER NOT NULL,
     owner TEXT NOT NULL,
     ozone TEXT NOT NULL,
     charged INTEGER NOT NULL DEFAULT 0
   );`,
  // 2: gateway self-reports, one per (epoch, provider), and the self-reported volume of a settlement.
  `CREATE TABLE self_reports (
     epoch INTEGER NOT NULL,
     provider TEXT NOT NULL,
     report_id TEXT NOT NULL,
     entries TEXT NOT NULL,
     PRIMARY KEY (epoch, provider)
   ) WITHOUT ROWID;
   ALTER TABLE epochs ADD COLUMN self_reported TEXT;`,
  // 3: each receipted ticket's expiry, so the nonces and receipts of tickets that can back no more
  // traffic can be pruned (rows held before this migration have none and are kept).
  `CREATE TABLE ticket_expiry (
     ticket_id TEXT PRIMARY KEY,
     expires_at INTEGER NOT NULL
   ) WITHOUT ROWID;
   CREATE INDEX ticket_expiry_at ON ticket_expiry (expires_at);
   CREATE INDEX nonces_ticket ON nonces (ticket_id);
   CREATE INDEX receipts_ticket ON receipts (ticket_id, epoch);`,
]
