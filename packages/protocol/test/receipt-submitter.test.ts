import { encodeReceipt, generateKeyPair, signReceipt } from '@stratos-edge/core'
import { describe, expect, it } from 'vitest'
import { createMemoryReceiptHold, createReceiptSubmitter, heldReceiptKey } from '../src/index.js'
import { makeFile } from './helpers.js'

const file = makeFile(1000, 1000)
const provider = generateKeyPair()

function held(nonce: bigint, bytes: number, downloader = generateKeyPair()) {
  const receipt = signReceipt(
    {
      network: 31337,
      epoch: 3,
      provider: provider.evmAddress,
      fileHash: file.fileHash,
      sliceHash: file.slices[0]!.hash,
      bytes,
      ticketId: `0x${'cd'.repeat(32)}`,
      nonce,
    },
    downloader,
  )
  return { receipt, bytes: encodeReceipt(receipt), state: 'pending' as const }
}

describe('receipt submitter', () => {
  it('submits pending receipts, marks them, retries after a failure and keeps transient rejections pending', async () => {
    const hold = createMemoryReceiptHold()
    const a = held(1n, 100)
    const b = held(1n, 200)
    const c = held(1n, 300)
    for (const h of [a, b, c]) await hold.put(heldReceiptKey(h.receipt), h)
    const calls: number[] = []
    let fail = true
    const submitter = createReceiptSubmitter(
      { everyMs: 60_000 },
      {
        hold,
        async submit(receipts) {
          calls.push(receipts.length)
          if (fail) throw new Error('meta service unreachable')
          return {
            accepted: 1,
            rejected: [
              { index: 1, reason: 'self-dealing' },
              { index: 2, reason: 'future' },
            ],
          }
        },
      },
    )
    try {
      await expect(submitter.round()).rejects.toThrow('unreachable')
      expect((await hold.list()).every((h) => h.state === 'pending')).toBe(true)
      fail = false
      await submitter.round()
      const states = await Promise.all(
        [a, b, c].map(async (h) => (await hold.get(heldReceiptKey(h.receipt)))?.state),
      )
      expect(states).toEqual(['submitted', 'rejected', 'pending'])
      expect(calls).toEqual([3, 3])
    } finally {
      submitter.stop()
    }
  })

  it('a newer receipt that arrived during a round stays pending', async () => {
    const hold = createMemoryReceiptHold()
    const downloader = generateKeyPair()
    const first = held(1n, 100, downloader)
    const key = heldReceiptKey(first.receipt)
    await hold.put(key, first)
    const newer = held(2n, 150, downloader)
    const submitter = createReceiptSubmitter(
      { everyMs: 60_000 },
      {
        hold,
        async submit(receipts) {
          await hold.put(key, newer) // arrives while the meta service answers
          return { accepted: receipts.length, rejected: [] }
        },
      },
    )
    try {
      await submitter.round()
      const now = await hold.get(key)
      expect(now?.receipt.nonce).toBe(2n)
      expect(now?.state).toBe('pending')
    } finally {
      submitter.stop()
    }
  })

  it('deletes submitted and rejected receipts once their ticket is long expired, keeps pending ones', async () => {
    const hold = createMemoryReceiptHold()
    let nowMs = 1_000_000 * 1000
    const expiresAt = 1_000_000 + 60
    const [done, refused, late, fresh] = [held(1n, 100), held(1n, 200), held(1n, 300), held(1n, 400)]
    await hold.put(heldReceiptKey(done.receipt), { ...done, state: 'submitted', ticketExpiresAt: expiresAt })
    await hold.put(heldReceiptKey(refused.receipt), {
      ...refused,
      state: 'rejected',
      reason: 'late',
      ticketExpiresAt: expiresAt,
    })
    // still pending: never deleted, whatever its age
    await hold.put(heldReceiptKey(late.receipt), { ...late, ticketExpiresAt: expiresAt })
    await hold.put(heldReceiptKey(fresh.receipt), {
      ...fresh,
      state: 'submitted',
      ticketExpiresAt: expiresAt + 7200,
    })
    const submitter = createReceiptSubmitter(
      { everyMs: 60_000, forgetAfterSeconds: 600, now: () => nowMs },
      { hold, submit: async () => ({ accepted: 0, rejected: [{ index: 0, reason: 'future' }] }) },
    )
    try {
      await submitter.round()
      expect(await hold.list()).toHaveLength(4)
      nowMs = (expiresAt + 601) * 1000
      await submitter.round()
      const left = (await hold.list()).map((h) => h.receipt.bytes).sort((x, y) => x - y)
      expect(left).toEqual([300, 400])
    } finally {
      submitter.stop()
    }
  })
})
