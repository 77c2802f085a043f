import { toStratosAddress } from '@stratos-edge/core'
import type { Contract } from 'ethers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type BridgeClient, createBridgeClient } from '../src/bridge-client.js'
import { decodeContractError } from '../src/errors.js'
import {
  contractAt,
  deployArtifact,
  expectErrorNamed,
  expectRevert,
  increaseTime,
  STOS,
  startTestChains,
  type TestChains,
} from './helpers.js'

const DAY = 24 * 3600

describe('StoragePayments', () => {
  let chains: TestChains
  let payer: BridgeClient
  let payments: Contract

  async function call(c: Contract, method: string, args: unknown[] = []): Promise<void> {
    try {
      await (await c.getFunction(method).send(...args)).wait()
    } catch (err) {
      throw decodeContractError(err)
    }
  }

  beforeAll(async () => {
    chains = await startTestChains()
    payer = createBridgeClient({
      ethereum: chains.ethWallet(1),
      polygon: chains.polWallet(1),
      addresses: chains.addresses,
    })
    await payer.deposit({ amount: 100n * STOS })
    await chains.relayer.syncState()
    payments = contractAt('StoragePayments', chains.addresses.polygon.storagePayments, chains.polWallet(0))
  })
  afterAll(async () => {
    await chains?.stop()
  })

  it('prepays for st1… and 0x… beneficiaries and lists them per account', async () => {
    const b = chains.accounts[2]!.address
    const first = await payer.prepay({ beneficiary: toStratosAddress(b), amount: 10n * STOS })
    const second = await payer.prepay({ beneficiary: b, amount: 5n * STOS })
    expect([first.paymentId, second.paymentId]).toEqual([1n, 2n])
    const list = await payer.prepaymentsOf(toStratosAddress(b))
    expect(list.map((p) => [p.paymentId, p.payer, p.beneficiary, p.amount])).toEqual([
      [1n, chains.accounts[1]!.address, b, 10n * STOS],
      [2n, chains.accounts[1]!.address, b, 5n * STOS],
    ])
    expect(await payer.prepaymentsOf(chains.accounts[3]!.address)).toEqual([])
    expect(await payer.stosBalance('polygon', chains.addresses.polygon.storagePayments)).toBe(15n * STOS)
  })

  it('rejects zero amounts and zero beneficiaries', async () => {
    await expectRevert(
      () => payer.prepay({ beneficiary: chains.accounts[2]!.address, amount: 0n }),
      'ZeroAmount',
    )
    await expectRevert(
      () => payer.prepay({ beneficiary: '0x0000000000000000000000000000000000000000', amount: 1n }),
      'ZeroBeneficiary',
    )
  })

  it('refund policy: only the payer, only after the delay, only the unsettled rest, only once', async () => {
    const settler = contractAt(
      'StoragePayments',
      chains.addresses.polygon.storagePayments,
      chains.polWallet(6),
    )
    // Only the settler settles; never above the amount, never downwards.
    await expectErrorNamed(() => call(payments, 'settle', [1n, 1n]), 'UnauthorizedError')
    await expectRevert(() => call(settler, 'settle', [1n, 11n * STOS]), 'SpentOutOfRange')
    await call(settler, 'settle', [1n, 4n * STOS])
    await expectRevert(() => call(settler, 'settle', [1n, 3n * STOS]), 'SpentOutOfRange')
    const err = await expectErrorNamed(() => payer.refundPrepayment(1n), 'RefundTooEarlyError')
    expect((err as unknown as { reason: string }).reason).toBe('RefundTooEarly')
    await increaseTime(chains.pol, 30 * DAY)
    const stranger = createBridgeClient({
      ethereum: chains.ethWallet(2),
      polygon: chains.polWallet(2),
      addresses: chains.addresses,
    })
    await expectErrorNamed(() => stranger.refundPrepayment(1n), 'UnauthorizedError')
    const before = await payer.stosBalance('polygon', chains.accounts[1]!.address)
    const refunded = await payer.refundPrepayment(1n)
    expect(refunded.amount).toBe(6n * STOS)
    expect(await payer.stosBalance('polygon', chains.accounts[1]!.address)).toBe(before + 6n * STOS)
    await expectErrorNamed(() => payer.refundPrepayment(1n), 'PaymentClosedError')
    await expectErrorNamed(() => call(settler, 'settle', [1n, 5n * STOS]), 'PaymentClosedError')
    const list = await payer.prepaymentsOf(chains.accounts[2]!.address)
    expect(list[0]).toMatchObject({ spent: 4n * STOS, refunded: true })
  })

  it('treasury withdraws settled STOS only, owner only', async () => {
    expect(await payments.getFunction('settledBalance').staticCall()).toBe(4n * STOS)
    const treasury = chains.accounts[9]!.address
    await expectRevert(
      () => call(payments, 'withdrawTreasury', [treasury, 5n * STOS]),
      'ExceedsSettledBalance',
    )
    const notOwner = contractAt(
      'StoragePayments',
      chains.addresses.polygon.storagePayments,
      chains.polWallet(1),
    )
    await expectErrorNamed(() => call(notOwner, 'withdrawTreasury', [treasury, 1n]), 'UnauthorizedError')
    await call(payments, 'withdrawTreasury', [treasury, 4n * STOS])
    expect(await payer.stosBalance('polygon', treasury)).toBe(4n * STOS)
    // Payment 2 (5 STOS, unsettled) is still fully in the contract for its payer.
    expect(await payer.stosBalance('polygon', chains.addresses.polygon.storagePayments)).toBe(5n * STOS)
  })

  it('pause stops prepay and refund; unpause resumes', async () => {
    await call(payments, 'pause')
    await expectErrorNamed(
      () => payer.prepay({ beneficiary: chains.accounts[2]!.address, amount: STOS }),
      'ContractPausedError',
    )
    await expectErrorNamed(() => payer.refundPrepayment(2n), 'ContractPausedError')
    await call(payments, 'unpause')
    await payer.prepay({ beneficiary: chains.accounts[2]!.address, amount: STOS })
  })

  it('while the STOS token itself is paused: typed TokenPausedError and nothing recorded', async () => {
    // A payments contract over a pausable STOS on this chain (as STOS is on Ethereum).
    const owner = chains.polWallet(0)
    const token = await deployArtifact(owner, 'TestStos', [owner.address])
    const tokenAddress = await token.getAddress()
    const p = await deployArtifact(owner, 'StoragePayments', [
      tokenAddress,
      owner.address,
      owner.address,
      3600,
    ])
    const pAddress = await p.getAddress()
    const user = chains.polWallet(1)
    await call(token, 'mint', [user.address, 10n * STOS])
    const client = createBridgeClient({
      ethereum: chains.ethWallet(1),
      polygon: user,
      addresses: {
        ethereum: { ...chains.addresses.ethereum, chainId: chains.ethereum.chainId },
        polygon: { ...chains.addresses.polygon, chainId: chains.polygon.chainId, storagePayments: pAddress },
      },
    })
    // Approved before the pause: prepay's transferFrom reverts inside the token.
    await call(contractAt('TestStos', tokenAddress, user), 'approve', [pAddress, 10n * STOS])
    await call(token, 'pause')
    const err = await expectErrorNamed(
      () => client.prepay({ beneficiary: user.address, amount: STOS }),
      'TokenPausedError',
    )
    expect((err as unknown as { reason: string }).reason).toBe('EnforcedPause')
    expect(await p.getFunction('paymentCount').staticCall()).toBe(0n)
    // Not approved yet: approve itself reverts (STOS's approve is pausable too).
    await expectErrorNamed(
      () => client.prepay({ beneficiary: user.address, amount: 20n * STOS }),
      'TokenPausedError',
    )
    await call(token, 'unpause')
    const paid = await client.prepay({ beneficiary: user.address, amount: STOS })
    expect(paid.paymentId).toBe(1n)
  })
})
