// The ledger's SQLite store on its own: versioned migrations, WAL, one credit per chain event, closed
// means closed. The chain-facing behaviour is in ozone-ledger.node.test.ts.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { applyPrepay, type OzoneMarket } from '@stratos-edge/core'
import type { PaymentCredit } from '@stratos-edge/polygon-bridge'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  LEDGER_FILE,
  LEDGER_MIGRATIONS,
  migrateLedger,
  openSqliteLedgerStore,
  schemaVersion,
} from '../src/ledger/index.js'

const market: OzoneMarket = {
  totalDeposit: 10n ** 21n,
  unissuedPrepay: 0n,
  remainingOzoneLimit: 10n ** 24n,
}

function credit(n: number, amount = 10n ** 18n): PaymentCredit {
  return {
    key: `137:0x${n.toString(16).padStart(64, '0')}:0`,
    chainId: 137,
    txHash: `0x${n.toString(16).padStart(64, '0')}`,
    logIndex: 0,
    blockNumber: 100 + n,
    blockHash: `0x${'ab'.repeat(32)}`,
    paymentId: BigInt(n),
    payer: '0x1111111111111111111111111111111111111111',
    beneficiary: '0xAbCdEf0000000000000000000000000000000001',
    amount,
  }
}

describe('sqlite ledger store', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stratos-ledger-'))
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('creates its schema at the newest version, in WAL mode, in the data directory', async () => {
    const store = openSqliteLedgerStore({ dataDir: dir, initialMarket: market })
    await store.close()
    const db = new DatabaseSync(join(dir, LEDGER_FILE))
    expect(schemaVersion(db)).toBe(LEDGER_MIGRATIONS.length)
    expect(db.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' })
    db.close()
  })

  it('runs each migration once, in order, and refuses a database from a newer build', () => {
    const db = new DatabaseSync(join(dir, 'm.sqlite'))
    const steps = ['CREATE TABLE a (x INTEGER)', 'CREATE TABLE b (y INTEGER)']
    expect(migrateLedger(db, steps.slice(0, 1))).toBe(1)
    db.prepare('INSERT INTO a (x) VALUES (1)').run()
    // A later build adds migration 2: only it runs; table a and its row are kept.
    expect(migrateLedger(db, steps)).toBe(2)
    expect(migrateLedger(db, steps)).toBe(2)
    expect(db.prepare('SELECT x FROM a').all()).toEqual([{ x: 1 }])
    expect(schemaVersion(db)).toBe(2)
    expect(() => migrateLedger(db, steps.slice(0, 1))).toThrow(
      expect.objectContaining({ name: 'LedgerSchemaError' }),
    )
    db.close()
  })

  it('a failing migration leaves the previous version intact', () => {
    const db = new DatabaseSync(join(dir, 'f.sqlite'))
    expect(() => migrateLedger(db, ['CREATE TABLE a (x INTEGER)', 'CREATE TABLE c (z); NOT SQL'])).toThrow()
    expect(schemaVersion(db)).toBe(1)
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'c'").get()).toBeUndefined()
    db.close()
  })

  it('credits a chain event once, with the ozone of the market inside the transaction', async () => {
    const store = openSqliteLedgerStore({ dataDir: dir, initialMarket: market })
    const price = (m: OzoneMarket) => applyPrepay(10n ** 18n, m)
    const first = await store.creditPayment(credit(1), price)
    expect(first?.ozone).toBe(applyPrepay(10n ** 18n, market).ozone)
    expect(first?.beneficiary).toBe('0xabcdef0000000000000000000000000000000001')
    expect(await store.creditPayment(credit(1), price)).toBeUndefined()
    const second = await store.creditPayment(credit(2), price)
    // The second credit is priced on the market the first left behind.
    expect(second?.ozone).toBe(applyPrepay(10n ** 18n, applyPrepay(10n ** 18n, market).market).ozone)
    const total = (first?.ozone ?? 0n) + (second?.ozone ?? 0n)
    expect(await store.balance('0xABCDEF0000000000000000000000000000000001')).toBe(total)
    expect((await store.payments()).map((p) => p.key)).toEqual([credit(1).key, credit(2).key])
    await store.close()
    // Reopened: the same state, and the same key still credits nothing.
    const again = openSqliteLedgerStore({ dataDir: dir, initialMarket: market })
    expect(await again.creditPayment(credit(2), price)).toBeUndefined()
    expect(await again.balance('0xabcdef0000000000000000000000000000000001')).toBe(total)
    expect((await again.market()).unissuedPrepay).toBe(2n * 10n ** 18n)
    await again.close()
  })

  it('a credit whose pricing throws changes nothing', async () => {
    const store = openSqliteLedgerStore({ dataDir: dir, initialMarket: market })
    await expect(
      store.creditPayment(credit(3), () => {
        throw new Error('boom')
      }),
    ).rejects.toThrow('boom')
    expect(await store.payments()).toEqual([])
    expect(await store.creditPayment(credit(3), (m) => applyPrepay(1n, m))).toBeDefined()
    await store.close()
  })

  it('keeps the payment watcher state, and refuses use after close', async () => {
    const store = openSqliteLedgerStore({ dataDir: dir, initialMarket: market })
    expect(await store.load()).toBeUndefined()
    const state = { cursor: { blockNumber: 7, blockHash: '0x01' }, credited: { k: 7 } }
    await store.save(state)
    expect(await store.load()).toEqual(state)
    await store.close()
    await expect(store.balance('0x00')).rejects.toMatchObject({ name: 'LedgerClosedError' })
  })
})
