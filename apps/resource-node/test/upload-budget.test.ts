import { describe, expect, it } from 'vitest'
import { createUploadBudget } from '../src/gateway/upload-budget.js'

describe('upload budget', () => {
  it('refuses an upload at once when the waiting list is full, and admits the waiting ones later', async () => {
    const budget = createUploadBudget({
      maxBytes: 100,
      perClientBytes: 100,
      waitTimeoutMs: 10_000,
      maxWaiting: 2,
    })
    const release = await budget.acquire(100, 'a')
    const waiting = [budget.acquire(50, 'b'), budget.acquire(50, 'c')]
    const started = Date.now()
    // Without the cap it would wait its 10 s (and every release would scan an ever longer list).
    await expect(budget.acquire(10, 'd')).rejects.toMatchObject({ name: 'UploadBusyError' })
    expect(Date.now() - started).toBeLessThan(1000)
    release()
    for (const r of await Promise.all(waiting)) r()
    expect(budget.usedBytes).toBe(0)
  })
})
