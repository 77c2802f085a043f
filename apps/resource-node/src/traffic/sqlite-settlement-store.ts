import type { SQLInputValue } from 'node:sqlite'
import type { EvmAddress, FileHash } from '@stratos-edge/core'
import { SettlementStoreClosedError } from './errors.js'
import { SETTLEMENT_MIGRATIONS } from './settlement-schema.js'
import type {
  HeldReceipt,
  HoldOutcome,
  PruneResult,
  SettledEpoch,
  SettlementStore,
  TrafficCharge,
} from './settlement-store.js'
import { openTrafficDatabase } from './traffic-database.js'

/** File name of the settlement database inside the node's data directory. */
export const SETTLEMENT_FILE = 'traffic-settlement.sqlite'

/** Options of {@link openSqliteSettlementStore}. */
export interface SqliteSettlementStoreInit {
  /** The node's data directory; the database is `<dataDir>/traffic-settlement.sqlite`. */
  dataDir: string
}

interface ReceiptRow {
  epoch: number
  downloader: string
  provider: string
  ticket_id: string
  owner: string
  bytes_allowed: string
  bytes: number
  nonce: string
  signature: string
}

interface EpochRow {
  epoch: number
  report: string
  report_digest: string
  root: string | null
  total: string
  rewards: string
  ticket_bytes: string
  posted_tx: string | null
  self_reported: string | null
}

interface ChargeRow {
  key: string
  epoch: number
  owner: string
  ozone: string
}

const toCharge = (r: ChargeRow): TrafficCharge => ({
  key: r.key,
  epoch: r.epoch,
  owner: r.owner as EvmAddress,
  ozone: BigInt(r.ozone),
})

/**
 * Opens (creating and migrating as needed) the settlement store in `node:sqlite`, WAL mode with full
 * syncs, so a submission that returned survives `kill -9` and power loss. One process at a time.
 *
 * @example
 * ```ts
 * const store = openSqliteSettlementStore({ dataDir: './data' })
 * await store.lastSettled() // undefined on a new node
 * ```
 */
export function openSqliteSettlementStore(init: SqliteSettlementStoreInit): SettlementStore {
  const db = openTrafficDatabase(init.dataDir, SETTLEMENT_FILE, SETTLEMENT_MIGRATIONS)
  let closed = false

  const q = {
    settled: db.prepare('SELECT 1 AS x FROM epochs WHERE epoch = ?'),
    nonce: db.prepare('SELECT signature FROM nonces WHERE downloader = ? AND ticket_id = ? AND nonce = ?'),
    ticketSeen: db.prepare('SELECT 1 AS seen FROM nonces WHERE ticket_id = ? LIMIT 1'),
    addNonce: db.prepare('INSERT INTO nonces (downloader, ticket_id, nonce, signature) VALUES (?, ?, ?, ?)'),
    held: db.prepare(
      'SELECT nonce, bytes FROM receipts WHERE epoch = ? AND downloader = ? AND provider = ? AND ticket_id = ?',
    ),
    upsert: db.prepare(
      `INSERT OR REPLACE INTO receipts
       (epoch, downloader, provider, ticket_id, owner, bytes_allowed, bytes, nonce, signature)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    receipts: db.prepare('SELECT * FROM receipts WHERE epoch = ?'),
    usage: db.prepare('SELECT bytes FROM ticket_usage WHERE ticket_id = ?'),
    setUsage: db.prepare('INSERT OR REPLACE INTO ticket_usage (ticket_id, bytes) VALUES (?, ?)'),
    epoch: db.prepare('SELECT * FROM epochs WHERE epoch = ?'),
    addEpoch: db.prepare(
      `INSERT INTO epochs (epoch, report, report_digest, root, total, rewards, ticket_bytes, posted_tx)
       VALUES (?, ?, ?, ?, ?, ?, ?, NULL)`,
    ),
    addCharge: db.prepare('INSERT OR IGNORE INTO charges (key, epoch, owner, ozone) VALUES (?, ?, ?, ?)'),
    chargesOf: db.prepare('SELECT key, epoch, owner, ozone FROM charges WHERE epoch = ? ORDER BY key'),
    pending: db.prepare('SELECT key, epoch, owner, ozone FROM charges WHERE charged = 0 ORDER BY epoch, key'),
    charged: db.prepare('UPDATE charges SET charged = 1 WHERE key = ?'),
    last: db.prepare('SELECT MAX(epoch) AS e FROM epochs'),
    unsettled: db.prepare(
      `SELECT epoch FROM (SELECT epoch FROM receipts UNION SELECT epoch FROM self_reports)
       WHERE epoch <= ? AND epoch NOT IN (SELECT epoch FROM epochs) ORDER BY epoch`,
    ),
    selfReport: db.prepare('SELECT report_id FROM self_reports WHERE epoch = ? AND provider = ?'),
    addSelfReport: db.prepare(
      'INSERT INTO self_reports (epoch, provider, report_id, entries) VALUES (?, ?, ?, ?)',
    ),
    selfReports: db.prepare('SELECT provider, entries FROM self_reports WHERE epoch = ? ORDER BY provider'),
    setSelfReported: db.prepare('UPDATE epochs SET self_reported = ? WHERE epoch = ?'),
    addExpiry: db.prepare('INSERT OR IGNORE INTO ticket_expiry (ticket_id, expires_at) VALUES (?, ?)'),
    // Expired tickets with no receipt held in an epoch not yet settled.
    prunable: db.prepare(
      `SELECT ticket_id FROM ticket_expiry t WHERE expires_at <= ? AND NOT EXISTS
         (SELECT 1 FROM receipts r WHERE r.ticket_id = t.ticket_id
            AND r.epoch NOT IN (SELECT epoch FROM epochs))
       ORDER BY expires_at LIMIT ?`,
    ),
    dropNonces: db.prepare('DELETE FROM nonces WHERE ticket_id = ?'),
    dropReceipts: db.prepare('DELETE FROM receipts WHERE ticket_id = ?'),
    dropUsage: db.prepare('DELETE FROM ticket_usage WHERE ticket_id = ?'),
    dropExpiry: db.prepare('DELETE FROM ticket_expiry WHERE ticket_id = ?'),
    unposted: db.prepare('SELECT * FROM epochs WHERE root IS NOT NULL AND posted_tx IS NULL ORDER BY epoch'),
    posted: db.prepare('UPDATE epochs SET posted_tx = ? WHERE epoch = ?'),
  }

  function open(): void {
    if (closed) throw new SettlementStoreClosedError('The settlement store is closed')
  }

  function transaction<T>(fn: () => T): T {
    db.exec('BEGIN IMMEDIATE')
    try {
      const out = fn()
      db.exec('COMMIT')
      return out
    } catch (err) {
      db.exec('ROLLBACK')
      throw err
    }
  }

  function hold(r: HeldReceipt): HoldOutcome {
    if (q.settled.get(r.epoch)) return 'late'
    const nonce = r.nonce.toString()
    const used = q.nonce.get(r.downloader, r.ticketId, nonce) as { signature: string } | undefined
    if (used) return used.signature === r.signature ? 'duplicate' : 'replayed'
    if (r.ticketExpiresAt !== undefined) q.addExpiry.run(r.ticketId, r.ticketExpiresAt)
    const held = q.held.get(r.epoch, r.downloader, r.provider, r.ticketId) as
      | { nonce: string; bytes: number }
      | undefined
    if (held && BigInt(held.nonce) > r.nonce) {
      q.addNonce.run(r.downloader, r.ticketId, nonce, r.signature)
      return 'stale'
    }
    if (held && BigInt(held.bytes) > r.bytes) return 'not-cumulative'
    q.addNonce.run(r.downloader, r.ticketId, nonce, r.signature)
    const row: SQLInputValue[] = [
      r.epoch,
      r.downloader,
      r.provider,
      r.ticketId,
      r.owner,
      r.bytesAllowed.toString(),
      Number(r.bytes),
      nonce,
      r.signature,
    ]
    q.upsert.run(...row)
    return 'accepted'
  }

  function toSettled(row: EpochRow): SettledEpoch {
    const rewards = JSON.parse(row.rewards) as [string, string][]
    const ticketBytes = JSON.parse(row.ticket_bytes) as [string, string][]
    return {
      epoch: row.epoch,
      report: row.report,
      reportDigest: row.report_digest,
      root: row.root ?? undefined,
      total: BigInt(row.total),
      rewards: rewards.map(([account, amount]) => ({
        account: account as EvmAddress,
        amount: BigInt(amount),
      })),
      charges: (q.chargesOf.all(row.epoch) as unknown as ChargeRow[]).map(toCharge),
      ticketBytes: new Map(ticketBytes.map(([id, bytes]) => [id, BigInt(bytes)])),
      postedTx: row.posted_tx ?? undefined,
      ...(row.self_reported
        ? {
            selfReported: (JSON.parse(row.self_reported) as [string, string, string][]).map(
              ([provider, bytes, weighted]) => ({
                provider: provider as EvmAddress,
                bytes: BigInt(bytes),
                weighted: BigInt(weighted),
              }),
            ),
          }
        : {}),
    }
  }

  return {
    async holdReceipts(receipts) {
      open()
      return transaction(() => receipts.map(hold))
    },
    async heldReceipts(epoch) {
      open()
      return (q.receipts.all(epoch) as unknown as ReceiptRow[]).map((r) => ({
        epoch: r.epoch,
        downloader: r.downloader as EvmAddress,
        provider: r.provider as EvmAddress,
        ticketId: r.ticket_id,
        owner: r.owner as EvmAddress,
        bytesAllowed: BigInt(r.bytes_allowed),
        bytes: BigInt(r.bytes),
        nonce: BigInt(r.nonce),
        signature: r.signature,
      }))
    },
    async ticketsSeen(ids) {
      open()
      return new Set(ids.filter((id) => q.ticketSeen.get(id) !== undefined))
    },
    async ticketUsage(ids) {
      open()
      const out = new Map<string, bigint>()
      for (const id of ids) {
        const row = q.usage.get(id) as { bytes: string } | undefined
        out.set(id, row ? BigInt(row.bytes) : 0n)
      }
      return out
    },
    async saveSettlement(s) {
      open()
      return transaction(() => {
        const existing = q.epoch.get(s.epoch) as EpochRow | undefined
        if (existing) return toSettled(existing)
        q.addEpoch.run(
          s.epoch,
          s.report,
          s.reportDigest,
          s.root ?? null,
          s.total.toString(),
          JSON.stringify(s.rewards.map((r) => [r.account, r.amount.toString()])),
          JSON.stringify([...s.ticketBytes].map(([id, b]) => [id, b.toString()])),
        )
        for (const [id, bytes] of s.ticketBytes) {
          const row = q.usage.get(id) as { bytes: string } | undefined
          q.setUsage.run(id, ((row ? BigInt(row.bytes) : 0n) + bytes).toString())
        }
        for (const c of s.charges) q.addCharge.run(c.key, c.epoch, c.owner, c.ozone.toString())
        if (s.selfReported) {
          const volumes = s.selfReported.map((v) => [v.provider, v.bytes.toString(), v.weighted.toString()])
          q.setSelfReported.run(JSON.stringify(volumes), s.epoch)
        }
        return toSettled(q.epoch.get(s.epoch) as unknown as EpochRow)
      })
    },
    async settlement(epoch) {
      open()
      const row = q.epoch.get(epoch) as EpochRow | undefined
      return row ? toSettled(row) : undefined
    },
    async lastSettled() {
      open()
      const row = q.last.get() as { e: number | null }
      return row.e ?? undefined
    },
    async unsettledEpochs(upTo) {
      open()
      return (q.unsettled.all(upTo) as { epoch: number }[]).map((r) => r.epoch)
    },
    async pendingCharges() {
      open()
      return (q.pending.all() as unknown as ChargeRow[]).map(toCharge)
    },
    async markCharged(key) {
      open()
      q.charged.run(key)
    },
    async unposted() {
      open()
      return (q.unposted.all() as unknown as EpochRow[]).map(toSettled)
    },
    async markPosted(epoch, txHash) {
      open()
      q.posted.run(txHash, epoch)
    },
    async holdSelfReport(epoch, provider, reportId, entries) {
      open()
      return transaction(() => {
        if (q.settled.get(epoch)) return 'late'
        const held = q.selfReport.get(epoch, provider) as { report_id: string } | undefined
        if (held) return held.report_id === reportId ? 'duplicate' : 'already-reported'
        const lines = entries.map((e) => [e.owner, e.fileHash, e.bytes.toString()])
        q.addSelfReport.run(epoch, provider, reportId, JSON.stringify(lines))
        return 'accepted'
      })
    },
    async pruneTickets(expiredBy, limit) {
      open()
      return transaction((): PruneResult => {
        const ids = (q.prunable.all(expiredBy, limit) as { ticket_id: string }[]).map((r) => r.ticket_id)
        let nonces = 0
        let receipts = 0
        for (const id of ids) {
          nonces += Number(q.dropNonces.run(id).changes)
          receipts += Number(q.dropReceipts.run(id).changes)
          q.dropUsage.run(id)
          q.dropExpiry.run(id)
        }
        return { tickets: ids.length, nonces, receipts }
      })
    },
    async selfReports(epoch) {
      open()
      const rows = q.selfReports.all(epoch) as unknown as { provider: string; entries: string }[]
      return rows.flatMap((row) =>
        (JSON.parse(row.entries) as [string, string, string][]).map(([owner, fileHash, bytes]) => ({
          provider: row.provider as EvmAddress,
          owner: owner as EvmAddress,
          fileHash: fileHash as FileHash,
          bytes: BigInt(bytes),
        })),
      )
    },
    async close() {
      if (closed) return
      closed = true
      db.close()
    },
  }
}
