// The settlement prunes the used nonces and held receipts of tickets that can back no more traffic, in
// bounded batches, and a replay after pruning is still refused (by its epoch or its ticket's expiry).
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { afterEach, describe, expect, it } from 'vitest'
import { SETTLEMENT_FILE } from '../src/traffic/index.js'
import {
  afterLate,
  EPOCH_MS,
  makeWorld,
  receiptOf,
  settlementFor,
  T0,
  tempDir,
  ticketFor,
} from './traffic-fixtures.js'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c()
})

/** Rows of a settlement table, read through a second connection (WAL lets it see committed rows). */
function countRows(dir: string, table: 'nonces' | 'receipts' | 'ticket_usage', ticketId?: string): number {
  const db = new DatabaseSync(join(dir, SETTLEMENT_FILE), { readOnly: true })
  try {
    const row = (
      ticketId
        ? db.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE ticket_id = ?`).get(ticketId.toLowerCase())
        : db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get()
    ) as { n: number }
    return Number(row.n)
  } finally {
    db.close()
  }
}

describe('nonce pruning', () => {
  it('drops the rows of expired, settled tickets, and a replay is still refused', async () => {
    const w = makeWorld(2, 2)
    const [d0, d1] = w.downloaders as [typeof w.meta, typeof w.meta]
    const [p0, p1] = w.providers as [typeof w.meta, typeof w.meta]
    // Backs epochs 1 and 2 (it expires 5 s into epoch 2); the other one lives a day.
    const short = ticketFor(w, d0, { expiresAt: Math.floor(T0 / 1000) + 15 })
    const long = ticketFor(w, d1)
    // Expires 1 s into epoch 3, still open (until T0 + 32 s) when epoch 2 settles: it keeps its nonces.
    const mid = ticketFor(w, d1, { expiresAt: Math.floor(T0 / 1000) + 21 })
    const t = await tempDir()
    cleanups.push(t.cleanup)
    const { settlement, store, clock } = settlementFor(w, t.dir, { tickets: [short, long, mid] })
    cleanups.push(() => store.close())
    const first = receiptOf(w, d0, p0, short, 100, 1n)
    await settlement.submit(p0.evmAddress, [first])
    await settlement.submit(p1.evmAddress, [receiptOf(w, d0, p1, short, 50, 2n)])
    await settlement.submit(p0.evmAddress, [
      receiptOf(w, d1, p0, long, 70, 1n),
      receiptOf(w, d1, p0, mid, 7, 1n),
    ])
    clock.now = T0 + EPOCH_MS + 1000
    const inEpoch2 = receiptOf(w, d0, p0, short, 30, 3n, 2)
    await settlement.submit(p0.evmAddress, [inEpoch2])
    expect(countRows(t.dir, 'nonces', short.id)).toBe(3)
    expect(countRows(t.dir, 'receipts', short.id)).toBe(3)

    // Epoch 2's late window closes: epochs 1 and 2 settle, and `short` can back no epoch still open.
    clock.now = afterLate(2)
    await settlement.tick()
    expect(await store.lastSettled()).toBe(2)
    expect(countRows(t.dir, 'nonces', short.id)).toBe(0)
    expect(countRows(t.dir, 'receipts', short.id)).toBe(0)
    expect(countRows(t.dir, 'ticket_usage', short.id)).toBe(0)
    // The live tickets keep their nonces: the table shrank from 5 rows to 2.
    expect(countRows(t.dir, 'nonces')).toBe(2)

    // Replays: the same receipts (their epochs are closed), and a fresh signature over a used nonce in the
    // open epoch (the ticket had expired by its start).
    const replays = [
      first,
      inEpoch2,
      receiptOf(w, d0, p0, short, 900, 1n, 3),
      receiptOf(w, d0, p1, short, 9, 2n, 3),
    ]
    const again = await settlement.submit(p0.evmAddress, replays)
    expect(again.accepted).toBe(0)
    expect(again.duplicates).toBe(0)
    expect(again.rejected.map((r) => r.reason)).toEqual(['late', 'late', 'invalid-ticket', 'wrong-provider'])
    const viaP1 = await settlement.submit(p1.evmAddress, [replays[3]!])
    expect(viaP1.rejected.map((r) => r.reason)).toEqual(['invalid-ticket'])
    // The live tickets' used nonces still refuse a different receipt.
    const live = await settlement.submit(p1.evmAddress, [
      receiptOf(w, d1, p1, long, 5, 1n, 3),
      receiptOf(w, d1, p1, mid, 5, 1n, 3),
    ])
    expect(live.rejected.map((r) => r.reason)).toEqual(['replayed', 'replayed'])
    // Nothing was counted twice: epoch 1 paid 220 bytes, epoch 2 30.
    expect((await store.settlement(1))?.ticketBytes.get(short.id.toLowerCase())).toBe(150n)
    expect(await store.heldReceipts(3)).toEqual([])
  })

  it('keeps tickets with receipts in an unsettled epoch, and prunes in bounded batches', async () => {
    const w = makeWorld(3, 1)
    const p = w.providers[0]!
    const expiry = Math.floor(T0 / 1000) + 5
    const tickets = w.downloaders.map((d) => ticketFor(w, d, { expiresAt: expiry }))
    const t = await tempDir()
    cleanups.push(t.cleanup)
    const { settlement, store, clock } = settlementFor(w, t.dir, { tickets, init: { pruneBatch: 2 } })
    cleanups.push(() => store.close())
    await settlement.submit(
      p.evmAddress,
      w.downloaders.map((d, i) => receiptOf(w, d, p, tickets[i]!, 10, 1n)),
    )
    // Epoch 1 is not settled yet: nothing goes, whatever the cut-off.
    expect(await store.pruneTickets(expiry + 1_000_000, 10)).toEqual({ tickets: 0, nonces: 0, receipts: 0 })
    clock.now = afterLate(1)
    await settlement.tick()
    expect(countRows(t.dir, 'nonces')).toBe(1)
    await settlement.tick()
    expect(countRows(t.dir, 'nonces')).toBe(0)
    expect(countRows(t.dir, 'receipts')).toBe(0)
  })
})
