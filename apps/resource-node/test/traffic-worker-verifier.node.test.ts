// The worker-thread receipt verifier (from the built package: its worker script is JavaScript) gives
// the same answers as checking in this thread, in order.
import { afterAll, describe, expect, it } from 'vitest'
import {
  createWorkerReceiptVerifier,
  receiptSignatureValid,
  ticketSignatureValid,
} from '../dist/traffic/index.js'
import { makeWorld, receiptOf, ticketFor } from './traffic-fixtures.js'

describe('worker receipt verifier', () => {
  const pool = createWorkerReceiptVerifier({ threads: 2 })
  const jsPool = createWorkerReceiptVerifier({ threads: 1, forceJavaScript: true })
  afterAll(() => Promise.all([pool.close(), jsPool.close()]))

  it('recovers natively, or in JavaScript when asked', async () => {
    expect(await pool.native()).toBe(true)
    expect(await jsPool.native()).toBe(false)
  })

  it('answers as core does in this thread, natively and in JavaScript', async () => {
    const w = makeWorld(2, 1)
    const p = w.providers[0]!
    const d = w.downloaders[0]!
    const t = ticketFor(w, d)
    const good = receiptOf(w, d, p, t, 100, 1n)
    const sig = good.signature
    const lower = good.downloader.toLowerCase() as typeof good.downloader
    // The same address with one letter's case flipped: its EIP-55 checksum no longer holds.
    const at = good.downloader.slice(2).search(/[a-fA-F]/) + 2
    const c = good.downloader[at] as string
    const flipped = c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()
    const badChecksum =
      `${good.downloader.slice(0, at)}${flipped}${good.downloader.slice(at + 1)}` as typeof good.downloader
    const receipts = [
      good,
      { ...good, downloader: lower },
      { ...good, downloader: badChecksum },
      { ...good, downloader: w.downloaders[1]!.evmAddress },
      { ...good, signature: Uint8Array.of(...sig.subarray(0, 64), (sig[64] as number) - 27) },
      { ...good, signature: Uint8Array.of(...sig.subarray(0, 64), 29) },
      { ...good, signature: sig.subarray(0, 64) },
      { ...good, network: good.network + 1 },
    ]
    const expected = receipts.map(receiptSignatureValid)
    expect(expected).toEqual([true, true, false, false, true, false, false, false])
    expect(await pool.verify(receipts)).toEqual(expected)
    expect(await jsPool.verify(receipts)).toEqual(expected)
    const other = makeWorld().meta
    const tickets = [t, ticketFor(w, d, { issuer: other }), { ...t, expiresAt: t.expiresAt + 1 }]
    const issuers = [w.meta.evmAddress.toLowerCase(), 'not an address']
    const ticketsExpected = tickets.map((x) => ticketSignatureValid(x, issuers))
    expect(ticketsExpected).toEqual([true, false, false])
    expect(await pool.verifyTickets(tickets, issuers)).toEqual(ticketsExpected)
    expect(await jsPool.verifyTickets(tickets, issuers)).toEqual(ticketsExpected)
  })

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
