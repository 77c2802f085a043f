// The ozone ledger's Proof of Traffic part on its real SQLite store: download tickets reserve the file
// owner's ozone and are kept for the settlement; an epoch's charge is taken once per key, from the
// reservation; what expired tickets never used goes back.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { applyPrepay, type OzoneMarket } from '@stratos-edge/core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { LEDGER_MIGRATIONS, openSqliteLedgerStore } from '../src/ledger/index.js'

const market: OzoneMarket = { totalDeposit: 10n ** 21n, unissuedPrepay: 0n, remainingOzoneLimit: 10n ** 24n }
const owner = '0xAbCdEf0000000000000000000000000000000001'
const id = (n: number) => `0x${n.toString(16).padStart(64, '0')}`

describe('ozone ledger: download tickets and traffic charges', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stratos-ledger-traffic-'))
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  async function funded(ozone: bigint) {
    const store = openSqliteLedgerStore({ dataDir: dir, initialMarket: market })
    // One credit that bought exactly `ozone`.
    const paid = await store.creditPayment(
      {
        key: '137:0x01:0',
        chainId: 137,
        txHash: `0x${'01'.repeat(32)}`,
        logIndex: 0,
        blockNumber: 1,
        blockHash: `0x${'ab'.repeat(32)}`,
        paymentId: 1n,
        payer: owner,
        beneficiary: owner,
        amount: 1n,
      },
      (m) => ({ ozone, market: applyPrepay(1n, m).market }),
    )
    expect(paid?.ozone).toBe(ozone)
    return store
  }

  it('reserves the owner’s ozone per download ticket, once per ticket id, and keeps the ticket', async () => {
    const store = await funded(1000n)
    let signed = 0
    const sign = () => Uint8Array.of(++signed)
    const first = await store.reserveDownload(owner, id(1), 600n, 0n, 100, sign)
    expect(first).toEqual({ granted: true, available: 1000n, ticket: Uint8Array.of(1) })
    // A replay: the same ticket, nothing more reserved, no new signature.
    expect(await store.reserveDownload(owner, id(1), 600n, 0n, 100, sign)).toEqual({
      granted: true,
      available: 400n,
      ticket: Uint8Array.of(1),
    })
    expect(signed).toBe(1)
    // Short: refused, nothing kept.
    expect(await store.reserveDownload(owner, id(2), 500n, 0n, 100, sign)).toEqual({
      granted: false,
      available: 400n,
    })
    expect(await store.downloadTicket(id(2))).toBeUndefined()
    expect(await store.downloadTicket(id(1).toUpperCase().replace('0X', '0x'))).toEqual(Uint8Array.of(1))
    // An upload reservation of the same owner counts against the same ozone, and is no download ticket.
    expect((await store.reserveOzone(owner, id(3), 100n, 0n, 100)).granted).toBe(true)
    expect(await store.downloadTicket(id(3))).toBeUndefined()
    expect(await store.reserved(owner)).toBe(700n)
    await store.close()
  })

  it('charges an epoch once per key, spending the reservation; unused reservations come back', async () => {
    let store = await funded(1000n)
    await store.reserveDownload(owner, id(1), 300n, 0n, 100, () => Uint8Array.of(1))
    await store.reserveDownload(owner, id(2), 300n, 0n, 200, () => Uint8Array.of(2))
    const charge = { key: `traffic:7:${owner.toLowerCase()}`, epoch: 7, owner, ozone: 400n }
    expect(await store.chargeTraffic(charge)).toBe(true)
    expect(await store.chargeTraffic(charge)).toBe(false)
    // A restart in between changes nothing: the key is durable.
    await store.close()
    store = openSqliteLedgerStore({ dataDir: dir, initialMarket: market })
    expect(await store.chargeTraffic(charge)).toBe(false)
    expect(await store.balance(owner)).toBe(600n)
    // 400 spent from the reservations (soonest to expire first): 200 still reserved.
    expect(await store.reserved(owner)).toBe(200n)
    // Nothing expired by 99; ticket 1 (spent) and then ticket 2 (200 unused) come back.
    expect(await store.releaseDownloads(99)).toEqual({ tickets: 0, ozone: 0n })
    expect(await store.releaseDownloads(150)).toEqual({ tickets: 0, ozone: 0n })
    expect(await store.releaseDownloads(200)).toEqual({ tickets: 1, ozone: 200n })
    expect(await store.releaseDownloads(300)).toEqual({ tickets: 0, ozone: 0n })
    expect(await store.reserved(owner)).toBe(0n)
    expect(await store.balance(owner)).toBe(600n)
    // The tickets stay readable for late lookups.
    expect(await store.downloadTicket(id(2))).toEqual(Uint8Array.of(2))
    await store.close()
  })

  it('a free tier that paid for traffic leaves a negative balance, so it is not spent twice', async () => {
    const store = openSqliteLedgerStore({ dataDir: dir, initialMarket: market })
    expect((await store.reserveDownload(owner, id(1), 500n, 800n, 100, () => Uint8Array.of(1))).granted).toBe(
      true,
    )
    await store.chargeTraffic({ key: 'traffic:1:x', epoch: 1, owner, ozone: 500n })
    await store.releaseDownloads(100)
    expect(await store.balance(owner)).toBe(-500n)
    // 800 free, 500 used: 300 left.
    expect(await store.reserveDownload(owner, id(2), 301n, 800n, 100, () => Uint8Array.of(2))).toEqual({
      granted: false,
      available: 300n,
    })
    await store.close()
  })

  it('hands a holder its live ticket of the same file again instead of reserving more', async () => {
    let store = await funded(1000n)
    const holder = '0x00000000000000000000000000000000000000d1'
    const file = `0x${'f1'.repeat(32)}`
    const live = (after: number, who = holder, fileHash = file) => ({ holder: who, fileHash, after })
    let signed = 0
    const sign = () => Uint8Array.of(++signed)
    expect(await store.reserveDownload(owner, id(1), 300n, 0n, 1000, sign, live(500))).toMatchObject({
      granted: true,
      ticket: Uint8Array.of(1),
    })
    // Fresh ticket ids (fresh nonces), same holder and file: ticket 1 again, nothing more reserved,
    // also after a restart and with the holder's address in another case.
    await store.close()
    store = openSqliteLedgerStore({ dataDir: dir, initialMarket: market })
    for (const n of [2, 3, 4]) {
      expect(
        await store.reserveDownload(
          owner,
          id(n),
          300n,
          0n,
          1000,
          sign,
          live(500, holder.toUpperCase().replace('0X', '0x')),
        ),
      ).toEqual({ granted: true, available: 700n, ticket: Uint8Array.of(1) })
    }
    expect(await store.reserved(owner)).toBe(300n)
    expect(signed).toBe(1)
    // Another holder, another file, or too little lifetime left: a new reservation.
    expect(
      (
        await store.reserveDownload(
          owner,
          id(5),
          300n,
          0n,
          1000,
          sign,
          live(500, `0x${'d2'.padStart(40, '0')}`),
        )
      ).ticket,
    ).toEqual(Uint8Array.of(2))
    expect(
      (
        await store.reserveDownload(
          owner,
          id(6),
          300n,
          0n,
          1000,
          sign,
          live(500, holder, `0x${'f2'.repeat(32)}`),
        )
      ).ticket,
    ).toEqual(Uint8Array.of(3))
    expect(await store.reserveDownload(owner, id(7), 300n, 0n, 1000, sign, live(1000))).toEqual({
      granted: false,
      available: 100n,
    })
    // Once its reservation is spent, a ticket is not handed out again.
    await store.chargeTraffic({ key: 'traffic:1:x', epoch: 1, owner, ozone: 900n })
    expect(await store.reserveDownload(owner, id(8), 100n, 0n, 1000, sign, live(500))).toMatchObject({
      granted: true,
      ticket: Uint8Array.of(4),
    })
    await store.close()
  })

  it('a self-report charge lowers the balance only, so reserved ozone cannot be handed out twice', async () => {
    const store = await funded(150n)
    expect((await store.reserveDownload(owner, id(1), 100n, 0n, 100, () => Uint8Array.of(1))).granted).toBe(
      true,
    )
    // 50 self-reported (capped to what is not reserved): the reservation of ticket 1 stays whole.
    expect(await store.chargeTraffic({ key: 'self:1:x', epoch: 1, owner, ozone: 50n })).toBe(true)
    expect(await store.balance(owner)).toBe(100n)
    expect(await store.reserved(owner)).toBe(100n)
    expect(await store.reserveDownload(owner, id(2), 50n, 0n, 100, () => Uint8Array.of(2))).toEqual({
      granted: false,
      available: 0n,
    })
    // Ticket 1's receipted 100: the balance ends at 0, never below.
    expect(await store.chargeTraffic({ key: 'traffic:2:x', epoch: 2, owner, ozone: 100n })).toBe(true)
    expect(await store.balance(owner)).toBe(0n)
    expect(await store.reserved(owner)).toBe(0n)
    await store.close()
  })

  it('migrates a version-2 ledger: its upload reservations stay upload reservations', async () => {
    const { DatabaseSync } = await import('node:sqlite')
    const { migrateLedger } = await import('../src/ledger/ledger-schema.js')
    const db = new DatabaseSync(join(dir, 'ozone-ledger.sqlite'))
    migrateLedger(db, LEDGER_MIGRATIONS.slice(0, 2))
    db.prepare("INSERT INTO reservations (ticket_id, owner, ozone, expires_at) VALUES (?, ?, '5', 1)").run(
      id(9),
      owner.toLowerCase(),
    )
    db.close()
    const store = openSqliteLedgerStore({ dataDir: dir, initialMarket: market })
    expect(await store.reserved(owner)).toBe(5n)
    expect(await store.releaseDownloads(10)).toEqual({ tickets: 0, ozone: 0n })
    expect(await store.reserved(owner)).toBe(5n)
    await store.close()
  })
})
