import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { defineErrorClass, type OzoneMarket } from '@stratos-edge/core'
import type { PaymentWatcherState } from '@stratos-edge/polygon-bridge'
import { isSelfReportCharge } from '../traffic/settlement-store.js'
import { migrateLedger } from './ledger-schema.js'
import type { CreditedPayment, OzoneLedgerStore } from './ozone-ledger-store.js'

/** File name of the ledger database inside the node's data directory. */
export const LEDGER_FILE = 'ozone-ledger.sqlite'

/** Options of {@link openSqliteLedgerStore}. */
export interface SqliteLedgerStoreInit {
  /** The node's data directory; the database is `<dataDir>/ozone-ledger.sqlite`. */
  dataDir: string
  /**
   * The market a new ledger starts from (S and Lt from the network; Pt grows with every prepay). Read on
   * the first open only; later opens continue from the stored market.
   */
  initialMarket: OzoneMarket
}

/** The ledger store was used after `close()`. */
export class LedgerClosedError extends defineErrorClass('LedgerClosedError') {}

interface PaymentRow {
  key: string
  chain_id: number
  tx_hash: string
  log_index: number
  block_number: number
  payment_id: string
  payer: string
  beneficiary: string
  amount: string
  ozone: string
}

interface MarketRow {
  total_deposit: string
  unissued_prepay: string
  remaining_ozone_limit: string
}

function toPayment(r: PaymentRow): CreditedPayment {
  return {
    key: r.key,
    chainId: r.chain_id,
    txHash: r.tx_hash,
    logIndex: r.log_index,
    blockNumber: r.block_number,
    paymentId: BigInt(r.payment_id),
    payer: r.payer,
    beneficiary: r.beneficiary,
    amount: BigInt(r.amount),
    ozone: BigInt(r.ozone),
  }
}

/** The watcher's state holds no bigints: plain JSON. */
function encodeState(state: PaymentWatcherState): string {
  return JSON.stringify(state)
}

/**
 * Opens (creating and migrating as needed) the ozone ledger in `node:sqlite`, in WAL mode with full
 * syncs, so a credit that returned survives a crash or power loss. One process at a time: the meta
 * service that owns the data directory.
 *
 * @example
 * ```ts
 * const store = openSqliteLedgerStore({ dataDir: './data', initialMarket })
 * await store.balance('0x…') // 0n
 * ```
 */
export function openSqliteLedgerStore(init: SqliteLedgerStoreInit): OzoneLedgerStore {
  mkdirSync(init.dataDir, { recursive: true })
  const db = new DatabaseSync(join(init.dataDir, LEDGER_FILE))
  db.exec('PRAGMA journal_mode = WAL')
  db.exec('PRAGMA synchronous = FULL')
  db.exec('PRAGMA busy_timeout = 5000')
  migrateLedger(db)
  db.prepare(
    `INSERT OR IGNORE INTO market (id, total_deposit, unissued_prepay, remaining_ozone_limit)
     VALUES (1, ?, ?, ?)`,
  ).run(
    init.initialMarket.totalDeposit.toString(),
    init.initialMarket.unissuedPrepay.toString(),
    init.initialMarket.remainingOzoneLimit.toString(),
  )

  const q = {
    loadState: db.prepare('SELECT state FROM watcher_state WHERE id = 1'),
    saveState: db.prepare(
      'INSERT INTO watcher_state (id, state) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET state = excluded.state',
    ),
    market: db.prepare(
      'SELECT total_deposit, unissued_prepay, remaining_ozone_limit FROM market WHERE id = 1',
    ),
    setMarket: db.prepare(
      'UPDATE market SET total_deposit = ?, unissued_prepay = ?, remaining_ozone_limit = ? WHERE id = 1',
    ),
    payment: db.prepare('SELECT * FROM payments WHERE key = ?'),
    paymentById: db.prepare('SELECT * FROM payments WHERE chain_id = ? AND payment_id = ?'),
    payments: db.prepare('SELECT * FROM payments ORDER BY seq'),
    nextSeq: db.prepare('SELECT COALESCE(MAX(seq), 0) + 1 AS seq FROM payments'),
    insertPayment: db.prepare(
      `INSERT INTO payments (key, chain_id, tx_hash, log_index, block_number, payment_id, payer, beneficiary,
         amount, ozone, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    refund: db.prepare('SELECT key FROM refunds WHERE key = ?'),
    insertRefund: db.prepare(
      'INSERT INTO refunds (key, chain_id, payment_id, amount, ozone) VALUES (?, ?, ?, ?, ?)',
    ),
    balance: db.prepare('SELECT ozone FROM balances WHERE owner = ?'),
    reservation: db.prepare('SELECT ozone FROM reservations WHERE ticket_id = ?'),
    reservedBy: db.prepare('SELECT ozone FROM reservations WHERE owner = ?'),
    insertReservation: db.prepare(
      'INSERT INTO reservations (ticket_id, owner, ozone, expires_at) VALUES (?, ?, ?, ?)',
    ),
    insertDownload: db.prepare(
      `INSERT INTO reservations (ticket_id, owner, ozone, expires_at, kind, ticket, holder, file_hash)
       VALUES (?, ?, ?, ?, 'download', ?, ?, ?)`,
    ),
    liveDownload: db.prepare(
      `SELECT ticket FROM reservations WHERE holder = ? AND file_hash = ? AND owner = ? AND expires_at > ?
         AND kind = 'download' AND ozone != '0' AND ticket IS NOT NULL ORDER BY expires_at DESC LIMIT 1`,
    ),
    downloadTicket: db.prepare("SELECT ticket FROM reservations WHERE ticket_id = ? AND kind = 'download'"),
    downloadsOf: db.prepare(
      "SELECT ticket_id, ozone FROM reservations WHERE owner = ? AND kind = 'download' AND ozone != '0' ORDER BY expires_at, ticket_id",
    ),
    expiredDownloads: db.prepare(
      "SELECT ticket_id, ozone FROM reservations WHERE kind = 'download' AND expires_at <= ? AND ozone != '0'",
    ),
    setReserved: db.prepare('UPDATE reservations SET ozone = ? WHERE ticket_id = ?'),
    openUpload: db.prepare(
      "SELECT ozone FROM reservations WHERE ticket_id = ? AND kind = 'upload' AND upload_done IS NULL",
    ),
    expiredUploads: db.prepare(
      "SELECT ticket_id, ozone FROM reservations WHERE kind = 'upload' AND upload_done IS NULL AND expires_at <= ?",
    ),
    doneUpload: db.prepare('UPDATE reservations SET ozone = ?, upload_done = ? WHERE ticket_id = ?'),
    trafficCharge: db.prepare('SELECT key FROM traffic_charges WHERE key = ?'),
    insertTrafficCharge: db.prepare(
      'INSERT INTO traffic_charges (key, epoch, owner, ozone) VALUES (?, ?, ?, ?)',
    ),
    setBalance: db.prepare(
      'INSERT INTO balances (owner, ozone) VALUES (?, ?) ON CONFLICT (owner) DO UPDATE SET ozone = excluded.ozone',
    ),
  }
  let open = true

  function check(): void {
    if (!open) throw new LedgerClosedError('The ozone ledger is closed')
  }

  /** Runs `fn` in one IMMEDIATE transaction: it sees and changes the state alone. */
  function transaction<T>(fn: () => T): T {
    check()
    db.exec('BEGIN IMMEDIATE')
    try {
      const result = fn()
      db.exec('COMMIT')
      return result
    } catch (err) {
      db.exec('ROLLBACK')
      throw err
    }
  }

  function readMarket(): OzoneMarket {
    const r = q.market.get() as unknown as MarketRow
    return {
      totalDeposit: BigInt(r.total_deposit),
      unissuedPrepay: BigInt(r.unissued_prepay),
      remainingOzoneLimit: BigInt(r.remaining_ozone_limit),
    }
  }

  function writeMarket(m: OzoneMarket): void {
    q.setMarket.run(m.totalDeposit.toString(), m.unissuedPrepay.toString(), m.remainingOzoneLimit.toString())
  }

  function readBalance(owner: string): bigint {
    const r = q.balance.get(owner.toLowerCase()) as { ozone: string } | undefined
    return r ? BigInt(r.ozone) : 0n
  }

  /** Decimal TEXT amounts: summed here, not in SQL (they exceed 64-bit integers). */
  function readReserved(owner: string): bigint {
    const rows = q.reservedBy.all(owner.toLowerCase()) as unknown as { ozone: string }[]
    return rows.reduce((sum, r) => sum + BigInt(r.ozone), 0n)
  }

  return {
    async load() {
      check()
      const r = q.loadState.get() as { state: string } | undefined
      return r ? (JSON.parse(r.state) as PaymentWatcherState) : undefined
    },
    async save(state) {
      check()
      q.saveState.run(encodeState(state))
    },
    async creditPayment(credit, price) {
      return transaction(() => {
        if (q.payment.get(credit.key)) return undefined
        const { ozone, market } = price(readMarket())
        const payment: CreditedPayment = {
          key: credit.key,
          chainId: credit.chainId,
          txHash: credit.txHash.toLowerCase(),
          logIndex: credit.logIndex,
          blockNumber: credit.blockNumber,
          paymentId: credit.paymentId,
          payer: credit.payer.toLowerCase(),
          beneficiary: credit.beneficiary.toLowerCase(),
          amount: credit.amount,
          ozone,
        }
        const { seq } = q.nextSeq.get() as { seq: number }
        q.insertPayment.run(
          payment.key,
          payment.chainId,
          payment.txHash,
          payment.logIndex,
          payment.blockNumber,
          payment.paymentId.toString(),
          payment.payer,
          payment.beneficiary,
          payment.amount.toString(),
          ozone.toString(),
          seq,
        )
        q.setBalance.run(payment.beneficiary, (readBalance(payment.beneficiary) + ozone).toString())
        writeMarket(market)
        return payment
      })
    },
    async refundPayment(debit, take) {
      return transaction(() => {
        if (q.refund.get(debit.key)) return undefined
        const row = q.paymentById.get(debit.chainId, debit.paymentId.toString()) as PaymentRow | undefined
        let taken = 0n
        if (row) {
          const payment = toPayment(row)
          const balance = readBalance(payment.beneficiary)
          const effect = take(payment, readMarket(), balance)
          taken = effect.ozone
          q.setBalance.run(payment.beneficiary, (balance - taken).toString())
          writeMarket(effect.market)
        }
        q.insertRefund.run(
          debit.key,
          debit.chainId,
          debit.paymentId.toString(),
          debit.amount.toString(),
          taken.toString(),
        )
        return taken
      })
    },
    async reserveOzone(owner, ticketId, ozone, allowance, expiresAt) {
      return transaction(() => {
        const who = owner.toLowerCase()
        const available = readBalance(who) + allowance - readReserved(who)
        if (q.reservation.get(ticketId.toLowerCase())) return { granted: true, available }
        if (available < ozone) return { granted: false, available }
        q.insertReservation.run(ticketId.toLowerCase(), who, ozone.toString(), expiresAt)
        return { granted: true, available }
      })
    },
    async reserveDownload(owner, ticketId, ozone, allowance, expiresAt, sign, live) {
      return transaction(() => {
        const who = owner.toLowerCase()
        const id = ticketId.toLowerCase()
        const available = readBalance(who) + allowance - readReserved(who)
        const kept = q.downloadTicket.get(id) as { ticket: Uint8Array | null } | undefined
        if (kept?.ticket) return { granted: true, available, ticket: Uint8Array.from(kept.ticket) }
        const holder = live?.holder.toLowerCase() ?? null
        const fileHash = live?.fileHash.toLowerCase() ?? null
        if (live && live.reuse !== false) {
          const again = q.liveDownload.get(holder, fileHash, who, live.after) as
            | { ticket: Uint8Array }
            | undefined
          if (again) return { granted: true, available, ticket: Uint8Array.from(again.ticket) }
        }
        if (available < ozone) return { granted: false, available }
        const ticket = sign()
        q.insertDownload.run(id, who, ozone.toString(), expiresAt, ticket, holder, fileHash)
        return { granted: true, available, ticket }
      })
    },
    async liveDownload(owner, live) {
      check()
      const r = q.liveDownload.get(
        live.holder.toLowerCase(),
        live.fileHash.toLowerCase(),
        owner.toLowerCase(),
        live.after,
      ) as { ticket: Uint8Array } | undefined
      return r ? Uint8Array.from(r.ticket) : undefined
    },
    async downloadTicket(ticketId) {
      check()
      const r = q.downloadTicket.get(ticketId.toLowerCase()) as { ticket: Uint8Array | null } | undefined
      return r?.ticket ? Uint8Array.from(r.ticket) : undefined
    },
    async chargeTraffic(charge) {
      return transaction(() => {
        if (q.trafficCharge.get(charge.key)) return false
        const who = charge.owner.toLowerCase()
        q.insertTrafficCharge.run(charge.key, charge.epoch, who, charge.ozone.toString())
        q.setBalance.run(who, (readBalance(who) - charge.ozone).toString())
        // Self-reported bytes were paid from the owner's unreserved ozone: no ticket's reservation is spent.
        let left = isSelfReportCharge(charge.key) ? 0n : charge.ozone
        for (const r of q.downloadsOf.all(who) as unknown as { ticket_id: string; ozone: string }[]) {
          if (left === 0n) break
          const held = BigInt(r.ozone)
          const spent = held < left ? held : left
          q.setReserved.run((held - spent).toString(), r.ticket_id)
          left -= spent
        }
        return true
      })
    },
    async releaseDownloads(expiredBy) {
      return transaction(() => {
        let ozone = 0n
        const rows = q.expiredDownloads.all(expiredBy) as unknown as { ticket_id: string; ozone: string }[]
        for (const r of rows) {
          ozone += BigInt(r.ozone)
          q.setReserved.run('0', r.ticket_id)
        }
        return { tickets: rows.length, ozone }
      })
    },
    async commitUpload(ticketId, usedBytes, bytesAllowed) {
      return transaction(() => {
        const id = ticketId.toLowerCase()
        const row = q.openUpload.get(id) as { ozone: string } | undefined
        if (!row) return 0n
        const held = BigInt(row.ozone)
        const used =
          bytesAllowed <= 0n || usedBytes >= bytesAllowed ? bytesAllowed : usedBytes < 0n ? 0n : usedBytes
        const kept = bytesAllowed <= 0n ? held : (held * used + bytesAllowed - 1n) / bytesAllowed
        q.doneUpload.run(kept.toString(), 'committed', id)
        return held - kept
      })
    },
    async releaseExpiredUploads(expiredBy) {
      return transaction(() => {
        let ozone = 0n
        const rows = q.expiredUploads.all(expiredBy) as unknown as { ticket_id: string; ozone: string }[]
        for (const r of rows) {
          ozone += BigInt(r.ozone)
          q.doneUpload.run('0', 'expired', r.ticket_id)
        }
        return { tickets: rows.length, ozone }
      })
    },
    async reserved(owner) {
      check()
      return readReserved(owner)
    },
    async balance(owner) {
      check()
      return readBalance(owner)
    },
    async payment(key) {
      check()
      const r = q.payment.get(key) as PaymentRow | undefined
      return r ? toPayment(r) : undefined
    },
    async payments() {
      check()
      return (q.payments.all() as unknown as PaymentRow[]).map(toPayment)
    },
    async market() {
      check()
      return readMarket()
    },
    async close() {
      if (!open) return
      open = false
      db.close()
    },
  }
}
