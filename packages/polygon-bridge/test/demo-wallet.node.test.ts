// fundDemoWallet on real local chains: the wallet `npm start` prints ends up with gas and STOS on
// "Polygon" and a prepayment to StoragePayments, exactly once across calls.
import { Wallet } from 'ethers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fundDemoWallet } from '../src/local/demo-wallet.js'
import { DEV_ROLES } from '../src/local/start-local-chains.js'
import { STOS, startTestChains, type TestChains } from './helpers.js'

describe('fundDemoWallet', () => {
  let chains: TestChains

  beforeAll(async () => {
    chains = await startTestChains()
  })
  afterAll(async () => {
    await chains?.stop()
  })

  it('funds a new wallet, which prepays for itself, and does nothing the second time', async () => {
    const demo = Wallet.createRandom()
    const first = await fundDemoWallet(chains, {
      wallet: { address: demo.address, privateKey: demo.privateKey },
    })
    expect(first.funded).toBe(true)
    expect(first.address).toBe(demo.address)
    expect(first.polygonStos).toBe(1000n * STOS)
    expect(first.prepayments).toHaveLength(1)
    expect(first.prepayments[0]).toMatchObject({
      payer: demo.address,
      beneficiary: demo.address,
      amount: 100n * STOS,
    })
    expect(await chains.pol.getBalance(demo.address)).toBeGreaterThan(0n)

    const again = await fundDemoWallet(chains, {
      wallet: { address: demo.address, privateKey: demo.privateKey },
    })
    expect(again.funded).toBe(false)
    expect(again.prepayments.map((p) => p.paymentId)).toEqual(first.prepayments.map((p) => p.paymentId))
    expect(again.polygonStos).toBe(1000n * STOS)
  })

  it('funds a wallet named only by its address: the deployer prepays for it', async () => {
    const brought = Wallet.createRandom().address
    const funding = await fundDemoWallet(chains, {
      wallet: { address: brought.toLowerCase() },
      prepay: 5n * STOS,
    })
    expect(funding.address).toBe(brought)
    expect(funding.prepayments).toHaveLength(1)
    expect(funding.prepayments[0]).toMatchObject({
      payer: chains.accounts[DEV_ROLES.deployer]!.address,
      beneficiary: brought,
      amount: 5n * STOS,
    })
    expect(funding.polygonStos).toBe(1000n * STOS)
  })
})
