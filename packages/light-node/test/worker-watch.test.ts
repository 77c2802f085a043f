import { describe, expect, it } from 'vitest'
import { type WatchedWorker, watchWorker } from '../src/client/worker-watch.js'

/** A worker double that answers pings unless hung, and can announce a life lock. */
class FakeWorker extends EventTarget {
  hung = false
  pings = 0
  postMessage(message: { stratosEdgePing: number }): void {
    this.pings++
    if (!this.hung) this.answer({ stratosEdgePong: message.stratosEdgePing })
  }
  answer(data: unknown): void {
    setTimeout(() => this.dispatchEvent(new MessageEvent('message', { data })))
  }
}

/** A lock manager double: `release(name)` grants the request waiting for that lock. */
class FakeLocks {
  waiting = new Map<string, () => unknown>()
  request(name: string, _options: LockOptions, callback: () => unknown): Promise<unknown> {
    this.waiting.set(name, callback)
    return new Promise(() => {})
  }
  release(name: string): void {
    this.waiting.get(name)?.()
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('watchWorker', () => {
  it('reports nothing while the worker answers, and a loss once it stops', async () => {
    const worker = new FakeWorker()
    const lost: string[] = []
    const watch = watchWorker(worker as unknown as WatchedWorker, (r) => lost.push(r), {
      intervalMs: 20,
      timeoutMs: 100,
    })
    await sleep(300)
    expect(lost).toEqual([])
    worker.hung = true
    await sleep(300)
    expect(lost).toHaveLength(1)
    expect(lost[0]).toMatch(/not answered/)
    watch.stop()
  })

  it('does not arm the heartbeat before the first answer (a worker still loading)', async () => {
    const worker = new FakeWorker()
    worker.hung = true
    const lost: string[] = []
    const watch = watchWorker(worker as unknown as WatchedWorker, (r) => lost.push(r), {
      intervalMs: 20,
      timeoutMs: 50,
    })
    await sleep(200)
    expect(lost).toEqual([])
    expect(worker.pings).toBeGreaterThan(2)
    watch.stop()
  })

  it('reports a loss when the lock the worker held is released (it ended)', async () => {
    const worker = new FakeWorker()
    const locks = new FakeLocks()
    const lost: string[] = []
    watchWorker(
      worker as unknown as WatchedWorker,
      (r) => lost.push(r),
      {},
      {
        locks: locks as unknown as LockManager,
      },
    )
    worker.answer({ stratosEdgeLifeLock: 'life-1' })
    await sleep(10)
    expect(locks.waiting.has('life-1')).toBe(true)
    locks.release('life-1')
    expect(lost).toEqual(['the worker ended'])
  })

  it('reports nothing after stop()', async () => {
    const worker = new FakeWorker()
    const locks = new FakeLocks()
    const lost: string[] = []
    const watch = watchWorker(
      worker as unknown as WatchedWorker,
      (r) => lost.push(r),
      { intervalMs: 20 },
      {
        locks: locks as unknown as LockManager,
      },
    )
    worker.answer({ stratosEdgeLifeLock: 'life-2' })
    await sleep(10)
    watch.stop()
    worker.hung = true
    locks.release('life-2')
    await sleep(100)
    expect(lost).toEqual([])
  })
  it('does not blame the worker for time the page itself was blocked', async () => {
    const worker = new FakeWorker()
    const lost: string[] = []
    const watch = watchWorker(worker as unknown as WatchedWorker, (r) => lost.push(r), {
      intervalMs: 20,
      timeoutMs: 100,
    })
    await sleep(60)
    // The page's main thread is busy for 300 ms: no timer runs, no answer is taken in.
    const until = Date.now() + 300
    while (Date.now() < until);
    await sleep(60)
    expect(lost).toEqual([])
    watch.stop()
  })
})
