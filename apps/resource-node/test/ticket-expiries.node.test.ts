import type { FileHash } from '@stratos-edge/core'
import { afterEach, describe, expect, it } from 'vitest'
import { openTicketExpiries } from '../src/store/ticket-expiries.js'
import { tempDir } from './helpers.js'

const A = 'v05j1m5aaaa' as FileHash
const B = 'v05j1m5bbbb' as FileHash
const C = 'v05j1m5cccc' as FileHash

describe('ticket expiries on disk', () => {
  const cleanups: Array<() => Promise<void>> = []
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c()
  })

  it('survive a reopen, keep the latest expiry, and prune those long expired', async () => {
    const d = await tempDir('ticket-expiries')
    cleanups.push(d.cleanup)
    let t = 1_000_000
    const now = () => t
    const first = openTicketExpiries({ dataDir: d.dir, now, keptPastMs: 10_000 })
    first.note(A, t + 5_000)
    first.note(A, t + 1_000) // earlier: the later one stays
    first.note(B, t + 60_000)
    first.close()

    const again = openTicketExpiries({ dataDir: d.dir, now, keptPastMs: 10_000 })
    expect(again.expiryOf(A)).toBe(1_005_000)
    expect(again.expiryOf(B)).toBe(1_060_000)
    t += 20_000 // A expired over 10 s ago
    expect(again.prune()).toBe(1)
    expect(again.expiryOf(A)).toBeUndefined()
    again.close()

    const third = openTicketExpiries({ dataDir: d.dir, now, keptPastMs: 10_000 })
    expect(third.size).toBe(1)
    expect(third.expiryOf(B)).toBe(1_060_000)
    third.close()
  })

  it('forget the least recently ticketed file past the cap, on disk too', async () => {
    const d = await tempDir('ticket-expiries-cap')
    cleanups.push(d.cleanup)
    const now = () => 0
    const book = openTicketExpiries({ dataDir: d.dir, now, maxFiles: 2 })
    book.note(A, 1000)
    book.note(B, 1000)
    book.note(C, 1000)
    expect(book.expiryOf(A)).toBeUndefined()
    book.close()
    const reopened = openTicketExpiries({ dataDir: d.dir, now, maxFiles: 2 })
    expect([reopened.expiryOf(A), reopened.expiryOf(B), reopened.expiryOf(C)]).toEqual([
      undefined,
      1000,
      1000,
    ])
    reopened.close()
  })
})
