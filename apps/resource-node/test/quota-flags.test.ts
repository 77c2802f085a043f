import { describe, expect, it } from 'vitest'
import { parseDuration, quotaInit } from '../src/cli/quota-flags.js'
import { DEFAULT_RATE_LIMITS } from '../src/gateway/rate-limit-gateway.js'

const bytes = (text: string): number => {
  const m = /^(\d+)([kmg]?)$/.exec(text)
  if (!m) throw new Error(`bad ${text}`)
  return Number(m[1]) * ({ '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30 }[m[2] ?? ''] ?? 1)
}

describe('quota flags', () => {
  it('leave the node’s defaults alone when none is given', () => {
    expect(quotaInit({}, bytes)).toEqual({})
  })

  it('lay the flags given over the defaults; 0 turns one bucket off', () => {
    const init = quotaInit({ 'write-rate': '8m', 'read-requests': '0', 'read-rate': '1m' }, bytes)
    expect(init.rateLimits).toEqual({
      write: {
        requests: DEFAULT_RATE_LIMITS.write.requests,
        bytes: { perSecond: 8 * 2 ** 20, burst: DEFAULT_RATE_LIMITS.write.bytes?.burst },
      },
      read: { bytes: { perSecond: 2 ** 20, burst: 16 * 2 ** 20 } },
      index: DEFAULT_RATE_LIMITS.index,
    })
    expect(quotaInit({ 'write-requests': '5' }, bytes).rateLimits).toMatchObject({
      write: { requests: { perSecond: 5, burst: 50 } },
    })
    expect(quotaInit({ 'index-requests': '20' }, bytes).rateLimits).toMatchObject({
      index: { requests: { perSecond: 20, burst: 200 } },
    })
    expect(quotaInit({ 'write-rate': '0' }, bytes).rateLimits).not.toHaveProperty('write.bytes')
  })

  it('--no-rate-limits turns them off; --unpaid-grace takes ms or a unit', () => {
    expect(quotaInit({ 'no-rate-limits': true, 'unpaid-grace': '10m' }, bytes)).toEqual({
      rateLimits: false,
      unpaidGraceMs: 600_000,
    })
    expect(parseDuration('1500')).toBe(1500)
    expect(parseDuration('90s')).toBe(90_000)
    expect(parseDuration('2h')).toBe(7_200_000)
    expect(() => parseDuration('soon')).toThrow('Invalid duration')
    expect(() => quotaInit({ 'write-requests': '-1' }, bytes)).toThrow('Invalid --write-requests')
  })
})
