// The ozone ledger against a real anvil: StoragePayments prepayments are credited to the beneficiary's
// ozone once, after N confirmations, across a crash and restart, and never when a reorg drops them first.
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { applyPrepay, type OzoneMarket } from '@stratos-edge/core'
import type { BridgeClient } from '@stratos-edge/polygon-bridge'
import type { LocalChains } from '@stratos-edge/polygon-bridge/local'
import { type JsonRpcProvider, toBeHex } from 'ethers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createOzoneLedger, type OzoneLedgerStore, openSqliteLedgerStore } from '../src/ledger/index.js'
import { createLogger } from '../src/logger.js'
import { type AnvilChains, startAnvilChains } from './support/anvil-chains.js'

const CHILD = fileURLToPath(new URL('./fixtures/ozone-ledger-child.mjs', import.meta.url))
const STOS = 10n ** 18n
const CONFIRMATIONS = 4
const logger = createLogger({ level: (process.env.LOG_LEVEL as 'debug' | undefined) ?? 'error' })
const market: OzoneMarket = {
  totalDeposit: 1000n * STOS,
  unissuedPrepay: 0n,
  remainingOzoneLimit: 10n ** 24n,
}

describe('ozone ledger on anvil', () => {
  let anvil: AnvilChains
  let chains: LocalChains
  let pol: JsonRpcProvider
  let payer: BridgeClient
  const dirs: string[] = []

  beforeAll(async () => {
    anvil = await startAnvilChains()
    ;({ chains, pol } = anvil)
    payer = anvil.bridgeClient(1)
    await payer.deposit({ amount: 100n * STOS })
    await chains.relayer.syncState()
  })
  afterAll(async () => {
    await anvil?.stop()
    for (const dir of dirs) await rm(dir, { recursive: true, force: true })
  })

  async function dataDir(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'stratos-ozone-'))
    dirs.push(dir)
    return dir
  }

  const mine = (blocks: number) => pol.send('anvil_mine', [toBeHex(blocks)])

  function ledgerOn(store: OzoneLedgerStore, fromBlock: number) {
    return createOzoneLedger(
      {
        storagePayments: chains.addresses.polygon.storagePayments,
        chainId: chains.polygon.chainId,
        confirmations: CONFIRMATIONS,
        fromBlock,
        maxBlockRange: 3,
      },
      { provider: pol, store, logger },
    )
  }

  it('credits a prepayment once, only after N confirmations, with core ozone math', async () => {
    const beneficiary = chains.accounts[2]!.address
    const fromBlock = await pol.getBlockNumber()
    const store = openSqliteLedgerStore({ dataDir: await dataDir(), initialMarket: market })
    const ledger = ledgerOn(store, fromBlock)
    await payer.prepay({ beneficiary, amount: 3n * STOS })
    await mine(CONFIRMATIONS - 2) // the payment's block has N - 1 confirmations
    expect(await ledger.poll()).toEqual([])
    expect(await ledger.balance(beneficiary)).toBe(0n)
    await mine(1)
    const credited = await ledger.poll()
    const expected = applyPrepay(3n * STOS, market)
    expect(credited.map((p) => [p.beneficiary, p.amount, p.ozone])).toEqual([
      [beneficiary.toLowerCase(), 3n * STOS, expected.ozone],
    ])
    expect(expected.ozone).toBeGreaterThan(0n)
    expect(await ledger.balance(beneficiary)).toBe(expected.ozone)
    expect(await ledger.market()).toEqual(expected.market)
    // Later polls credit nothing more.
    await mine(3)
    expect(await ledger.poll()).toEqual([])
    expect(await ledger.balance(beneficiary)).toBe(expected.ozone)
    await ledger.stop()
    await store.close()
  })

  it('a crash after a credit and before the cursor is saved: the restart credits nothing twice', async () => {
    const beneficiary = chains.accounts[3]!.address
    const dir = await dataDir()
    const fromBlock = await pol.getBlockNumber()
    await payer.prepay({ beneficiary, amount: 1n * STOS })
    await payer.prepay({ beneficiary, amount: 2n * STOS })
    await mine(CONFIRMATIONS)

    // First run: the process "dies" at the first watcher save after a credit, so the credit is in the
    // database but the watcher's state is not (the window a restart must survive).
    const store = openSqliteLedgerStore({ dataDir: dir, initialMarket: market })
    let credits = 0
    const crashing: OzoneLedgerStore = {
      ...store,
      async creditPayment(credit, price) {
        const done = await store.creditPayment(credit, price)
        credits++
        return done
      },
      async save(state) {
        if (credits > 0) throw new Error('killed')
        return store.save(state)
      },
    }
    await expect(ledgerOn(crashing, fromBlock).poll()).rejects.toThrow('killed')
    await store.close()
    const first = applyPrepay(1n * STOS, market)

    // Restart on the same data directory: the watcher sees the first payment again, the ledger
    // ignores it, and the second is credited once.
    const reopened = openSqliteLedgerStore({ dataDir: dir, initialMarket: market })
    expect(await reopened.balance(beneficiary)).toBe(first.ozone)
    const ledger = ledgerOn(reopened, fromBlock)
    const credited = await ledger.poll()
    const second = applyPrepay(2n * STOS, first.market)
    expect(credited.map((p) => p.amount)).toEqual([2n * STOS])
    expect(await ledger.balance(beneficiary)).toBe(first.ozone + second.ozone)
    expect((await reopened.payments()).map((p) => p.amount)).toEqual([1n * STOS, 2n * STOS])
    // And once more, from scratch: a third instance with a lost cursor credits nothing.
    await reopened.save({ cursor: undefined, credited: {} })
    expect(await ledgerOn(reopened, fromBlock).poll()).toEqual([])
    expect(await reopened.balance(beneficiary)).toBe(first.ozone + second.ozone)
    await reopened.close()
  })

  it('a reorg that drops a payment before N confirmations credits nothing', async () => {
    const beneficiary = chains.accounts[4]!.address
    const fromBlock = await pol.getBlockNumber()
    const store = openSqliteLedgerStore({ dataDir: await dataDir(), initialMarket: market })
    const ledger = ledgerOn(store, fromBlock)
    await mine(CONFIRMATIONS)
    expect(await ledger.poll()).toEqual([])
    const snapshot = (await pol.send('evm_snapshot', [])) as string
    const doomed = await payer.prepay({ beneficiary, amount: 9n * STOS })
    await mine(1)
    expect(await ledger.poll()).toEqual([]) // 2 of 4 confirmations
    // The fork: the block with the payment disappears and the chain grows past N without it.
    expect(await pol.send('evm_revert', [snapshot])).toBe(true)
    await mine(2 * CONFIRMATIONS)
    expect(await pol.getTransactionReceipt(doomed.hash)).toBeNull()
    expect(await ledger.poll()).toEqual([])
    expect(await ledger.balance(beneficiary)).toBe(0n)
    expect(await store.payments()).toEqual([])
    // A payment on the new branch is credited normally, priced on an untouched market.
    await payer.prepay({ beneficiary, amount: 1n * STOS })
    await mine(CONFIRMATIONS - 1)
    expect((await ledger.poll()).map((p) => p.amount)).toEqual([1n * STOS])
    expect(await ledger.balance(beneficiary)).toBe(applyPrepay(1n * STOS, market).ozone)
    await store.close()
  })

  it('kill -9 while it credits: after the restart each payment is credited exactly once', async () => {
    const beneficiary = chains.accounts[5]!.address
    const dir = await dataDir()
    const fromBlock = await pol.getBlockNumber()
    const amounts = Array.from({ length: 8 }, (_, i) => BigInt(i + 1) * STOS)
    for (const amount of amounts) await payer.prepay({ beneficiary, amount })
    await mine(CONFIRMATIONS)

    // The built ledger in a child process, killed with SIGKILL after its third credit.
    const child = spawn(
      process.execPath,
      [
        CHILD,
        JSON.stringify({
          rpcUrl: chains.polygon.rpcUrl,
          chainId: chains.polygon.chainId,
          storagePayments: chains.addresses.polygon.storagePayments,
          confirmations: CONFIRMATIONS,
          fromBlock,
          dataDir: dir,
          delayMs: 100,
          market: {
            totalDeposit: market.totalDeposit.toString(),
            unissuedPrepay: market.unissuedPrepay.toString(),
            remainingOzoneLimit: market.remainingOzoneLimit.toString(),
          },
        }),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let stdout = ''
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString()
    })
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.once('exit', (_, signal) => resolve(signal)),
    )
    let creditsSeen = 0
    let log = ''
    child.stderr.on('data', (d: Buffer) => {
      log += d.toString()
      creditsSeen = log.split('\n').filter((l) => l.includes('"ozone credited"')).length
      if (creditsSeen >= 3) child.kill('SIGKILL')
    })
    expect(await exited).toBe('SIGKILL')
    expect(stdout).not.toContain('done')
    expect(creditsSeen).toBeGreaterThanOrEqual(3)
    expect(creditsSeen).toBeLessThan(amounts.length)

    // Restart on the same data directory and finish.
    const store = openSqliteLedgerStore({ dataDir: dir, initialMarket: market })
    await ledgerOn(store, fromBlock).poll()
    const payments = await store.payments()
    expect(payments.map((p) => p.amount)).toEqual(amounts)
    expect(new Set(payments.map((p) => p.key)).size).toBe(amounts.length)
    let m = market
    let total = 0n
    for (const amount of amounts) {
      const step = applyPrepay(amount, m)
      total += step.ozone
      m = step.market
    }
    expect(await store.balance(beneficiary)).toBe(total)
    expect(await store.market()).toEqual(m)
    await store.close()
  })

  it('a refund takes back the refunded share of the ozone, once', async () => {
    const beneficiary = chains.accounts[7]!.address
    const fromBlock = await pol.getBlockNumber()
    const store = openSqliteLedgerStore({ dataDir: await dataDir(), initialMarket: market })
    const ledger = ledgerOn(store, fromBlock)
    const paid = await payer.prepay({ beneficiary, amount: 4n * STOS })
    // The settler (dev account 6) records 1 STOS spent; the payer takes back the other 3 after the delay.
    const settler = anvil.bridgeClient(6)
    await settler.settlePrepayment(paid.paymentId, 1n * STOS)
    await pol.send('evm_increaseTime', [toBeHex(31 * 24 * 3600)])
    await payer.refundPrepayment(paid.paymentId)
    await mine(CONFIRMATIONS)
    await ledger.poll()
    const bought = applyPrepay(4n * STOS, market).ozone
    const taken = (bought * 3n * STOS + 4n * STOS - 1n) / (4n * STOS) // 3/4 of it, rounded up
    expect(await ledger.balance(beneficiary)).toBe(bought - taken)
    expect((await ledger.market()).unissuedPrepay).toBe(1n * STOS)
    // A restart with a lost cursor sees the refund again and takes nothing more.
    await store.save({ cursor: undefined, credited: {} })
    await ledgerOn(store, fromBlock).poll()
    expect(await ledger.balance(beneficiary)).toBe(bought - taken)
    await store.close()
  })
})
