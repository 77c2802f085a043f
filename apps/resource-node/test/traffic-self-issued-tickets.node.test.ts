// Tickets the meta service signed itself need no signature recovery: the ticket book hands back the
// bytes it kept when issuing them. Other issuers' tickets, and a ticket that differs from what was kept,
// still have their signatures recovered.
import { encodeTicket, type Ticket } from '@stratos-edge/core'
import { afterAll, describe, expect, it } from 'vitest'
import {
  createTrafficSettlement,
  openSqliteSettlementStore,
  ticketSignatureValid,
} from '../src/traffic/index.js'
import { createCleanups } from './support/cleanups.js'
import {
  EPOCH_MS,
  GENESIS_MS,
  LATE_MS,
  logger,
  MARKET,
  makeWorld,
  receiptOf,
  T0,
  ticketFor,
} from './traffic-fixtures.js'

const cleanups = createCleanups('traffic')
afterAll(() => cleanups.run())

describe('self-issued tickets', () => {
  it('skips recovery for tickets kept by this meta service, and only for them', async () => {
    const dir = await cleanups.dir()
    const w = makeWorld(3, 1)
    const other = makeWorld().meta
    const [d0, d1, d2] = [w.downloaders[0]!, w.downloaders[1]!, w.downloaders[2]!]
    const p = w.providers[0]!
    const own = ticketFor(w, d0)
    const foreign = ticketFor(w, d1, { issuer: other })
    const kept = ticketFor(w, d2)
    // The book's copy of d2's ticket was altered after issuing (more bytes): not what was kept.
    const altered: Ticket = { ...kept, bytesAllowed: kept.bytesAllowed * 2n }
    const book = new Map<string, Ticket>([own, foreign, altered].map((t) => [t.id, t]))
    const issued = new Map<string, Uint8Array>([own, kept].map((t) => [t.id, encodeTicket(t)]))
    const recovered: string[] = []
    const store = openSqliteSettlementStore({ dataDir: dir })
    const settlement = createTrafficSettlement(
      {
        clock: { genesisMs: GENESIS_MS, epochMs: EPOCH_MS },
        lateWindowMs: LATE_MS,
        issuers: [w.meta.evmAddress, other.evmAddress],
      },
      {
        store,
        tickets: { get: async (id) => book.get(id), issuedHere: async (id) => issued.get(id) },
        charger: { chargeTraffic: async () => {} },
        market: async () => MARKET,
        ticketVerifier: async (tickets, issuers) => {
          recovered.push(...tickets.map((t) => t.id))
          return tickets.map((t) => ticketSignatureValid(t, issuers))
        },
        now: () => T0 + 1000,
        logger,
      },
    )
    const result = await settlement.submit(p.evmAddress, [
      receiptOf(w, d0, p, own, 100, 1n),
      receiptOf(w, d1, p, foreign, 100, 1n),
      receiptOf(w, d2, p, altered, 100, 1n),
    ])
    expect(result.accepted).toBe(2)
    expect(result.rejected).toEqual([{ index: 2, reason: 'invalid-ticket' }])
    // Only the other issuer's ticket and the altered one were recovered.
    expect(recovered.sort()).toEqual([foreign.id, altered.id].sort())
    await store.close()
  })
})
