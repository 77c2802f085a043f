import { describe, expect, it } from 'vitest'
import { createWithdrawBatcher } from '../src/node/withdraw-batcher.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('createWithdrawBatcher', () => {
  it('coalesces hashes added close together into one withdrawal after the delay', async () => {
    const sent: string[][] = []
    const batcher = createWithdrawBatcher({ delayMs: 40, withdraw: async (h) => void sent.push(h) })
    batcher.add(['a', 'b'])
    batcher.add(['c', 'a'])
    await sleep(10)
    expect(sent).toEqual([])
    expect(batcher.pending).toBe(3)
    await sleep(80)
    expect(sent).toEqual([['a', 'b', 'c']])
    expect(batcher.pending).toBe(0)
  })

  it('sends a full batch at once and bounds every batch', async () => {
    const sent: string[][] = []
    const batcher = createWithdrawBatcher({
      delayMs: 10_000,
      maxBatch: 2,
      withdraw: async (h) => void sent.push(h),
    })
    batcher.add(['a', 'b', 'c', 'd', 'e'])
    await sleep(0)
    expect(sent).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ])
    await batcher.flush()
    expect(sent).toEqual([['a', 'b'], ['c', 'd'], ['e']])
  })

  it('leaves out slices held again by the time the batch is sent', async () => {
    const sent: string[][] = []
    const held = new Set<string>()
    const batcher = createWithdrawBatcher({
      delayMs: 20,
      held: async (h) => held.has(h),
      withdraw: async (h) => void sent.push(h),
    })
    batcher.add(['a', 'b'])
    held.add('b')
    await batcher.flush()
    expect(sent).toEqual([['a']])
    batcher.add(['b'])
    await batcher.flush()
    expect(sent).toEqual([['a']])
  })

  it('ignores failed withdrawals and keeps working', async () => {
    const sent: string[][] = []
    let fail = true
    const batcher = createWithdrawBatcher({
      delayMs: 5,
      withdraw: async (h) => {
        if (fail) throw new Error('meta service unreachable')
        sent.push(h)
      },
    })
    batcher.add(['a'])
    await expect(batcher.flush()).resolves.toBeUndefined()
    fail = false
    batcher.add(['b'])
    await sleep(30)
    expect(sent).toEqual([['b']])
  })
})
