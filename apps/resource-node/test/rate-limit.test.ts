import { describe, expect, it } from 'vitest'
import { createRateLimit } from '../src/gateway/rate-limit.js'

describe('rate limit (token buckets)', () => {
  const clock = () => {
    let t = 1_000_000
    return { now: () => t, advance: (ms: number) => (t += ms) }
  }

  it('lets a burst through, then asks to wait as long as the refill takes', () => {
    const c = clock()
    const limit = createRateLimit({ requests: { perSecond: 2, burst: 3 } }, c)
    expect([limit.take('a'), limit.take('a'), limit.take('a')]).toEqual([0, 0, 0])
    expect(limit.take('a')).toBe(500)
    c.advance(499)
    expect(limit.take('a')).toBe(1)
    c.advance(1)
    expect(limit.take('a')).toBe(0)
  })

  it('keeps clients apart', () => {
    const limit = createRateLimit({ requests: { perSecond: 1, burst: 1 } }, clock())
    expect(limit.take('a')).toBe(0)
    expect(limit.take('a')).toBeGreaterThan(0)
    expect(limit.take('b')).toBe(0)
  })

  it('counts bytes, lets a request larger than the burst pass from a full bucket, and holds the average', () => {
    const c = clock()
    const limit = createRateLimit({ bytes: { perSecond: 1000, burst: 1000 } }, c)
    expect(limit.take('a', 600)).toBe(0)
    expect(limit.take('a', 600)).toBe(200) // 400 left, 600 needed
    c.advance(600)
    // Full bucket: 5000 bytes pass, leaving a debt of 4000 bytes: 4 s plus the next request's bytes.
    expect(limit.take('a', 5000)).toBe(0)
    expect(limit.take('a', 1)).toBe(4001)
    c.advance(4001)
    expect(limit.take('a', 1)).toBe(0)
  })

  it('refuses without taking anything', () => {
    const c = clock()
    const limit = createRateLimit(
      { requests: { perSecond: 1, burst: 10 }, bytes: { perSecond: 100, burst: 100 } },
      c,
    )
    expect(limit.take('a', 100)).toBe(0)
    for (let i = 0; i < 5; i++) expect(limit.take('a', 100)).toBeGreaterThan(0)
    c.advance(1000)
    expect(limit.take('a', 100)).toBe(0) // the refused requests took no request tokens
  })

  it('without limits, never waits; forgets the least recently seen client past maxClients', () => {
    expect(createRateLimit({}).take('a', 2 ** 40)).toBe(0)
    const limit = createRateLimit({ requests: { perSecond: 1, burst: 1 }, maxClients: 2 }, clock())
    limit.take('a')
    limit.take('b')
    limit.take('c')
    expect(limit.clients).toBe(2)
    expect(limit.take('a')).toBe(0) // forgotten: full again
    expect(limit.take('c')).toBeGreaterThan(0)
  })
})
