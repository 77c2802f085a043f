import { describe, expect, it } from 'vitest'
import { createWritePacer } from '../src/gateway/write-pacer.js'

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

describe('write pacer', () => {
  it('lets writes through at once while the turn lasts, then one batch per turn, first come first served', async () => {
    const pacer = createWritePacer({ bytesPerTurn: 100 })
    expect(pacer.take(60)).toBeUndefined()
    expect(pacer.take(60)).toBeUndefined() // the turn had 40 left: this one goes, the turn is spent
    const order: number[] = []
    const waits = [1, 2, 3, 4].map((n) => pacer.take(60)?.then(() => order.push(n)))
    expect(waits.every((w) => w instanceof Promise)).toBe(true)
    expect(pacer.waiting).toBe(4)
    await turn()
    await Promise.resolve()
    expect(order).toEqual([1, 2]) // 120 bytes: the second started within the turn's 100
    await turn()
    await Promise.resolve()
    expect(order).toEqual([1, 2, 3, 4])
    expect(pacer.waiting).toBe(0)
  })

  it('lets other I/O run between batches', async () => {
    const pacer = createWritePacer({ bytesPerTurn: 1 })
    const events: string[] = []
    const writer = (async () => {
      for (let i = 0; i < 5; i++) {
        const wait = pacer.take(1)
        if (wait) await wait
        events.push('write')
      }
    })()
    // A callback queued for the next turn stands for other I/O: without the pacer all five writes come first.
    setImmediate(() => events.push('other'))
    await writer
    expect(events.indexOf('other')).toBeGreaterThan(0)
    expect(events.indexOf('other')).toBeLessThan(events.length - 1)
  })
})
