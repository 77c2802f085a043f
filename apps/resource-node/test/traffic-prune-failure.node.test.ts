// A prune that fails (SQLITE_BUSY from a second writer, say) must not keep a tick from posting the roots
// of settled epochs: pruning is housekeeping, posting is what pays providers.
import { afterEach, describe, expect, it } from 'vitest'
import { openSqliteSettlementStore } from '../src/traffic/index.js'
import { afterLate, makeWorld, receiptOf, settlementFor, tempDir, ticketFor } from './traffic-fixtures.js'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c()
})

describe('settlement tick with a failing prune', () => {
  it('still posts the settled epoch root', async () => {
    const w = makeWorld(1, 1)
    const d = w.downloaders[0]!
    const p = w.providers[0]!
    const t = ticketFor(w, d)
    const { dir, cleanup } = await tempDir()
    cleanups.push(cleanup)
    const real = openSqliteSettlementStore({ dataDir: dir })
    let pruneCalls = 0
    const store = Object.assign(Object.create(real) as typeof real, {
      async pruneTickets(): Promise<never> {
        pruneCalls++
        throw Object.assign(new Error('database is locked'), { code: 'ERR_SQLITE_ERROR', errcode: 5 })
      },
    })
    const posted: number[] = []
    const poster = {
      async post(v: { epoch: number | bigint }) {
        posted.push(Number(v.epoch))
        return `0x${posted.length}`
      },
    }
    const { settlement, clock } = settlementFor(w, dir, { tickets: [t], poster, store })
    cleanups.unshift(() => real.close())
    await settlement.submit(p.evmAddress, [receiptOf(w, d, p, t, 10, 1n)])
    clock.now = afterLate(1)
    await settlement.tick()
    expect(pruneCalls).toBe(1)
    expect(posted).toEqual([1])
    expect(await real.unposted()).toEqual([])
  })
})
