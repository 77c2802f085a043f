import { RateLimitedError } from '@stratos-edge/protocol'
import { describe, expect, it } from 'vitest'
import { retryRateLimited } from '../src/node/read/rate-limited-retry.js'

describe('retryRateLimited', () => {
  it('waits the node’s retryAfterMs and runs again', async () => {
    let calls = 0
    const started = performance.now()
    const value = await retryRateLimited(async () => {
      calls++
      if (calls < 3) throw new RateLimitedError('slow down', 50)
      return 'ok'
    }, new AbortController().signal)
    expect(value).toBe('ok')
    expect(calls).toBe(3)
    expect(performance.now() - started).toBeGreaterThanOrEqual(95)
  })

  it('passes other errors, too many refusals and too long waits on', async () => {
    const never = new AbortController().signal
    await expect(retryRateLimited(() => Promise.reject(new Error('boom')), never)).rejects.toThrow('boom')
    let calls = 0
    const always = () => {
      calls++
      return Promise.reject(new RateLimitedError('slow down', 1))
    }
    await expect(retryRateLimited(always, never, { retries: 2 })).rejects.toMatchObject({
      name: 'RateLimitedError',
    })
    expect(calls).toBe(3)
    const long = () => Promise.reject(new RateLimitedError('slow down', 60_000))
    await expect(retryRateLimited(long, never)).rejects.toMatchObject({ retryAfterMs: 60_000 })
  })

  it('stops waiting when aborted', async () => {
    const abort = new AbortController()
    setTimeout(() => abort.abort(new Error('cancelled')), 20)
    await expect(
      retryRateLimited(() => Promise.reject(new RateLimitedError('slow down', 10_000)), abort.signal),
    ).rejects.toThrow('cancelled')
  })
})
