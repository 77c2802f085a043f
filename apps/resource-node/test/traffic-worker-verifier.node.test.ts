// The worker-thread receipt verifier (from the built package: its worker script is JavaScript) gives
// the same answers as checking in this thread, in order.
import { afterAll, describe, expect, it } from 'vitest'
import { createWorkerReceiptVerifier } from '../dist/traffic/index.js'
import { makeWorld, receiptOf, ticketFor } from './traffic-fixtures.js'

describe('worker receipt verifier', () => {
  const pool = createWorkerReceiptVerifier({ threads: 2 })
  afterAll(() => pool.close())

  it('flags forged receipts at their positions across threads', async () => {
    const w = makeWorld(2, 1)
    const p = w.providers[0]!
    const receipts = Array.from({ length: 9 }, (_, i) => {
      const d = w.downloaders[i % 2]!
      const r = receiptOf(w, d, p, ticketFor(w, d), 100 + i, BigInt(i + 1))
      return i % 3 === 1 ? { ...r, bytes: r.bytes + 1 } : r
    })
    expect(await pool.verify(receipts)).toEqual(receipts.map((_, i) => i % 3 !== 1))
    expect(await pool.verify([])).toEqual([])
  })

  it('flags tickets of unknown issuers or with a broken signature', async () => {
    const w = makeWorld(3, 1)
    const good = w.downloaders.map((d) => ticketFor(w, d))
    const stranger = makeWorld().meta
    const foreign = ticketFor(w, w.downloaders[0]!, { issuer: stranger })
    const tampered = { ...good[1]!, bytesAllowed: good[1]!.bytesAllowed + 1n }
    const all = [good[0]!, foreign, tampered, good[2]!]
    expect(await pool.verifyTickets(all, [w.meta.evmAddress])).toEqual([true, false, false, true])
  })
})
