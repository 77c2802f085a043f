import { describe, expect, it } from 'vitest'
import type { ProviderInfo } from '../src/node/network-index.js'
import type { DownloadReceipts } from '../src/node/traffic/download-receipts.js'
import { pendingReceipts } from '../src/node/traffic/pending-receipts.js'

const provider: ProviderInfo = { peerId: 'peer-a', multiaddrs: [], kind: 'light' }

/** Receipts that record what they were told. */
function recorder() {
  const calls: unknown[][] = []
  const receipts: DownloadReceipts = {
    verified: (...args) => void calls.push(['verified', ...args]),
    flush: async (p) => void calls.push(['flush', p.peerId]),
    finish: async () => void calls.push(['finish']),
  }
  return { receipts, calls }
}

describe('pending receipts', () => {
  it('notes slices with their time until the ticket arrives, then counts them in order', async () => {
    const { receipts, calls } = recorder()
    let arrive!: (r: DownloadReceipts) => void
    let t = 1000
    const pending = pendingReceipts(new Promise((r) => (arrive = r)), () => t)
    pending.verified(provider, 'h1', 10)
    t = 2000
    pending.verified(provider, 'h2', 20)
    const flushed = pending.flush(provider, AbortSignal.timeout(1000))
    expect(calls).toEqual([])
    arrive(receipts)
    await flushed
    pending.verified(provider, 'h3', 30)
    await pending.finish(AbortSignal.timeout(1000))
    expect(calls).toEqual([
      ['verified', provider, 'h1', 10, 1000],
      ['verified', provider, 'h2', 20, 2000],
      ['flush', 'peer-a'],
      ['verified', provider, 'h3', 30, undefined],
      ['finish'],
    ])
  })

  it('without a ticket: ready rejects, flush and finish resolve with nothing to sign', async () => {
    const pending = pendingReceipts(Promise.reject(new Error('no ozone')))
    pending.verified(provider, 'h1', 10)
    await expect(pending.ready).rejects.toThrow('no ozone')
    await pending.flush(provider, AbortSignal.timeout(1000))
    await pending.finish(AbortSignal.timeout(1000))
  })

  it('flush stops waiting for a ticket when its signal aborts', async () => {
    const pending = pendingReceipts(new Promise(() => {}))
    await expect(pending.flush(provider, AbortSignal.timeout(50))).rejects.toThrow()
  })
})
