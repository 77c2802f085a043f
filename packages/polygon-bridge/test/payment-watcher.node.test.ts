import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type BridgeClient, createBridgeClient } from '../src/bridge-client.js'
import { createJsonFileWatcherStore } from '../src/node/json-file-store.js'
import {
  createMemoryWatcherStore,
  createPaymentWatcher,
  type PaymentCredit,
  type PaymentWatcherStore,
  type RefundDebit,
} from '../src/payment-watcher.js'
import { increaseTime, mine, STOS, startTestChains, type TestChains } from './helpers.js'

describe('payment watcher', () => {
  let chains: TestChains
  let payer: BridgeClient
  let dir: string
  let startBlock: number

  beforeAll(async () => {
    chains = await startTestChains()
    dir = await mkdtemp(join(tmpdir(), 'bridge-watcher-'))
    payer = createBridgeClient({
      ethereum: chains.ethWallet(1),
      polygon: chains.polWallet(1),
      addresses: chains.addresses,
    })
    await payer.deposit({ amount: 100n * STOS })
    await chains.relayer.syncState()
    startBlock = await chains.pol.getBlockNumber()
  })
  afterAll(async () => {
    await chains?.stop()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  function watcherOn(store: PaymentWatcherStore, credits: PaymentCredit[], confirmations = 4) {
    return createPaymentWatcher(
      {
        storagePayments: chains.addresses.polygon.storagePayments,
        chainId: chains.polygon.chainId,
        confirmations,
        fromBlock: startBlock,
        maxBlockRange: 3,
      },
      { provider: chains.pol, store, onPayment: async (c) => void credits.push(c) },
    )
  }

  it('credits each payment once across restarts (same JSON store, new watcher instances)', async () => {
    const path = join(dir, 'restart.json')
    const credits: PaymentCredit[] = []
    const a = await payer.prepay({ beneficiary: chains.accounts[2]!.address, amount: 1n * STOS })
    const b = await payer.prepay({ beneficiary: chains.accounts[3]!.address, amount: 2n * STOS })
    await mine(chains.pol, 4)
    const first = watcherOn(createJsonFileWatcherStore(path), credits)
    expect((await first.poll()).map((c) => c.paymentId)).toEqual([a.paymentId, b.paymentId])
    await first.stop()
    const saved = JSON.parse(await readFile(path, 'utf8'))
    expect(Object.keys(saved.credited)).toHaveLength(2)
    // Restart: a new instance on the same file credits nothing again, then picks up a new payment.
    const second = watcherOn(createJsonFileWatcherStore(path), credits)
    expect(await second.poll()).toEqual([])
    const c = await payer.prepay({ beneficiary: chains.accounts[2]!.address, amount: 3n * STOS })
    await mine(chains.pol, 4)
    expect((await second.poll()).map((x) => x.paymentId)).toEqual([c.paymentId])
    // Even with the cursor lost (crash before the cursor was saved), the credited set prevents a double credit.
    const third = watcherOn(
      {
        load: async () => ({ ...JSON.parse(await readFile(path, 'utf8')), cursor: undefined }),
        save: async () => {},
      },
      credits,
    )
    expect(await third.poll()).toEqual([])
    expect(credits.map((x) => x.paymentId)).toEqual([a.paymentId, b.paymentId, c.paymentId])
    expect(new Set(credits.map((x) => x.key)).size).toBe(3)
  })

  it('does not credit a payment that a reorg removed before it had N confirmations', async () => {
    const path = join(dir, 'reorg.json')
    const credits: PaymentCredit[] = []
    const watcher = watcherOn(createJsonFileWatcherStore(path), credits)
    await mine(chains.pol, 4)
    await watcher.poll()
    const before = credits.length
    const snapshot = (await chains.pol.send('evm_snapshot', [])) as string
    const doomed = await payer.prepay({ beneficiary: chains.accounts[4]!.address, amount: 9n * STOS })
    await mine(chains.pol, 1)
    expect(await watcher.poll()).toEqual([]) // 2 of 4 confirmations
    // The fork: the block with the payment disappears; the chain grows past the depth without it.
    expect(await chains.pol.send('evm_revert', [snapshot])).toBe(true)
    await mine(chains.pol, 8)
    expect(await watcher.poll()).toEqual([])
    expect(credits.length).toBe(before)
    expect(await chains.pol.getTransactionReceipt(doomed.hash)).toBeNull()
    // A payment on the new branch is credited normally.
    const kept = await payer.prepay({ beneficiary: chains.accounts[4]!.address, amount: 1n * STOS })
    await mine(chains.pol, 3)
    const after = await watcher.poll()
    expect(after.map((x) => x.txHash)).toEqual([kept.hash])
  })

  it('notices a reorg deeper than its depth, rewinds and does not double credit', async () => {
    const path = join(dir, 'deep.json')
    const credits: PaymentCredit[] = []
    const errors: Error[] = []
    const watcher = createPaymentWatcher(
      {
        storagePayments: chains.addresses.polygon.storagePayments,
        chainId: chains.polygon.chainId,
        confirmations: 2,
        fromBlock: startBlock,
      },
      {
        provider: chains.pol,
        store: createJsonFileWatcherStore(path),
        onPayment: async (c) => void credits.push(c),
        onError: (e) => void errors.push(e),
      },
    )
    await watcher.poll()
    const base = credits.length
    const snapshot = (await chains.pol.send('evm_snapshot', [])) as string
    await payer.prepay({ beneficiary: chains.accounts[5]!.address, amount: 1n * STOS })
    await mine(chains.pol, 3)
    expect(await watcher.poll()).toHaveLength(1)
    await chains.pol.send('evm_revert', [snapshot])
    await mine(chains.pol, 6)
    expect(await watcher.poll()).toEqual([])
    expect(errors.map((e) => e.name)).toEqual(['DeepReorgError'])
    expect(credits.length).toBe(base + 1)
  })

  it('reports a refund once (after N confirmations, across restarts) so the meta service stops crediting it', async () => {
    const path = join(dir, 'refund.json')
    const refunds: RefundDebit[] = []
    const credits: PaymentCredit[] = []
    const make = () =>
      createPaymentWatcher(
        {
          storagePayments: chains.addresses.polygon.storagePayments,
          chainId: chains.polygon.chainId,
          confirmations: 2,
          fromBlock: startBlock,
        },
        {
          provider: chains.pol,
          store: createJsonFileWatcherStore(path),
          onPayment: async (c) => void credits.push(c),
          onRefund: async (r) => void refunds.push(r),
        },
      )
    const paid = await payer.prepay({ beneficiary: chains.accounts[6]!.address, amount: 4n * STOS })
    const settler = createBridgeClient({
      ethereum: chains.ethWallet(6),
      polygon: chains.polWallet(6),
      addresses: chains.addresses,
    })
    await settler.settlePrepayment(paid.paymentId, 1n * STOS)
    await increaseTime(chains.pol, 31 * 24 * 3600)
    const refund = await payer.refundPrepayment(paid.paymentId)
    expect(refund.amount).toBe(3n * STOS)
    const first = await make().poll()
    expect(first.map((c) => c.paymentId)).toContain(paid.paymentId)
    expect(refunds).toEqual([]) // the refund's block has one confirmation only
    await mine(chains.pol, 1)
    await make().poll()
    expect(refunds.map((r) => [r.paymentId, r.amount, r.payer])).toEqual([
      [paid.paymentId, 3n * STOS, chains.accounts[1]!.address],
    ])
    await mine(chains.pol, 3)
    await make().poll()
    expect(refunds).toHaveLength(1)
    expect(credits.filter((c) => c.paymentId === paid.paymentId)).toHaveLength(1)
  })

  it('start() polls on its own until stop()', async () => {
    const credits: PaymentCredit[] = []
    const watcher = createPaymentWatcher(
      {
        storagePayments: chains.addresses.polygon.storagePayments,
        chainId: chains.polygon.chainId,
        confirmations: 1,
        fromBlock: await chains.pol.getBlockNumber(),
        pollIntervalMs: 50,
      },
      {
        provider: chains.pol,
        store: createMemoryWatcherStore(),
        onPayment: async (c) => void credits.push(c),
      },
    )
    watcher.start()
    const paid = await payer.prepay({ beneficiary: chains.accounts[7]!.address, amount: STOS })
    const deadline = Date.now() + 10_000
    while (credits.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    expect(credits.map((c) => c.paymentId)).toEqual([paid.paymentId])
    await watcher.stop()
    await payer.prepay({ beneficiary: chains.accounts[7]!.address, amount: STOS })
    await new Promise((r) => setTimeout(r, 300))
    expect(credits).toHaveLength(1)
  })
})
