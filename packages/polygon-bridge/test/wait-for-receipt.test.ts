import type { TransactionReceipt, TransactionResponse } from 'ethers'
import { describe, expect, it } from 'vitest'
import { waitForMined, waitForReceipt } from '../src/wait-for-receipt.js'
import { expectErrorNamed } from './helpers.js'

const HASH = `0x${'ab'.repeat(32)}`
const RECEIPT = { hash: HASH, blockNumber: 7, status: 1 } as unknown as TransactionReceipt

/** A node that has no receipt for the first `pending` requests and never announces a new block. */
function node(pending: number) {
  let calls = 0
  return {
    get calls() {
      return calls
    },
    async getTransactionReceipt(hash: string): Promise<TransactionReceipt | null> {
      expect(hash).toBe(HASH)
      calls++
      return calls > pending ? RECEIPT : null
    },
  }
}

describe('waitForReceipt', () => {
  it('finds a transaction mined after the first check, on a node that mines no further block', async () => {
    // ethers' waitForTransaction() waits for a new block after a missed first check, and hangs here.
    const provider = node(2)
    await expect(waitForReceipt(provider, HASH, { pollMs: 5, timeoutMs: 2000 })).resolves.toBe(RECEIPT)
    expect(provider.calls).toBe(3)
  })

  it('fails with a TransactionTimeoutError naming the transaction when it is never mined', async () => {
    const started = Date.now()
    const err = await expectErrorNamed(
      () => waitForReceipt(node(Number.POSITIVE_INFINITY), HASH, { pollMs: 5, timeoutMs: 100 }),
      'TransactionTimeoutError',
    )
    expect(err.message).toContain(HASH)
    expect(Date.now() - started).toBeLessThan(1000)
  })

  it('fails with a TransactionTimeoutError when the node stops answering', async () => {
    const silent = { getTransactionReceipt: () => new Promise<null>(() => {}) }
    await expectErrorNamed(() => waitForReceipt(silent, HASH, { timeoutMs: 100 }), 'TransactionTimeoutError')
  })

  it('stops with an AbortedError when its signal fires', async () => {
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 20)
    await expectErrorNamed(
      () =>
        waitForReceipt(node(Number.POSITIVE_INFINITY), HASH, {
          pollMs: 5,
          timeoutMs: 10_000,
          signal: controller.signal,
        }),
      'AbortedError',
    )
  })
})

/** A sent transaction (nonce 3) on a node that already counts nonce 4; `mined` says whether it knows it as mined. */
function sentTx(receiptAfter: number, mined: boolean): TransactionResponse {
  let calls = 0
  const provider = {
    pollingInterval: 10,
    async getTransactionReceipt() {
      calls++
      return calls > receiptAfter ? RECEIPT : null
    },
    getTransactionCount: async () => 4,
    getTransaction: async () => (mined ? { blockNumber: 7 } : null),
  }
  return { hash: HASH, from: '0x0000000000000000000000000000000000000001', nonce: 3, provider } as never
}

describe('waitForMined', () => {
  it('waits for a receipt that lags behind the nonce instead of calling the transaction replaced', async () => {
    await expect(waitForMined(sentTx(3, true), { timeoutMs: 2000 })).resolves.toBe(RECEIPT)
  })

  it('reports a transaction whose nonce another one took as replaced', async () => {
    const err = await expectErrorNamed(
      () => waitForMined(sentTx(Number.POSITIVE_INFINITY, false), { timeoutMs: 10_000 }),
      'TransactionReplacedError',
    )
    expect(err.message).toContain(HASH)
  })
})
