import { StandardMerkleTree } from '@openzeppelin/merkle-tree'
import { buildRewardTree, toStratosAddress } from '@stratos-edge/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADDRESS_BOOK } from '../src/address-book.js'
import { type BridgeClient, createBridgeClient } from '../src/bridge-client.js'
import { deployBridge } from '../src/deploy.js'
import { createMemoryWatcherStore, createPaymentWatcher, type PaymentCredit } from '../src/payment-watcher.js'
import { signEpochRoot, sortSignatures } from '../src/reward-signatures.js'
import { expectErrorNamed, increaseTime, mine, STOS, startTestChains, type TestChains } from './helpers.js'

describe('full round trip on two anvil chains', () => {
  let chains: TestChains
  let client: (i: number) => BridgeClient

  beforeAll(async () => {
    chains = await startTestChains()
    client = (i) =>
      createBridgeClient({
        ethereum: chains.ethWallet(i),
        polygon: chains.polWallet(i),
        addresses: chains.addresses,
      })
  })
  afterAll(async () => {
    await chains?.stop()
  })

  it('deploys at the addresses of ADDRESS_BOOK.local', () => {
    expect(chains.addresses).toEqual(ADDRESS_BOOK.local)
  })

  it('deposit → bridged STOS → prepay → credited once → root posted → claimed → withdrawn to Ethereum', async () => {
    const user = client(1)
    const userAddr = chains.accounts[1]!.address
    const ethBefore = await user.stosBalance('ethereum', userAddr)

    // 1. Ethereum → Polygon through the tunnel.
    const deposit = await user.deposit({ amount: 100n * STOS })
    expect(deposit.stateId).toBeGreaterThan(0n)
    expect(await user.stosBalance('ethereum', userAddr)).toBe(ethBefore - 100n * STOS)
    expect(await user.stosBalance('polygon', userAddr)).toBe(0n)
    expect(await chains.relayer.syncState()).toEqual([deposit.stateId])
    expect(await user.stosBalance('polygon', userAddr)).toBe(100n * STOS)

    // Fund the rewards contract through the bridge as well.
    const treasury = client(0)
    await treasury.deposit({ amount: 1000n * STOS, to: chains.addresses.polygon.trafficRewards })
    await chains.relayer.syncState()

    // 2. Prepay for an st1 beneficiary; the watcher credits it once, after 3 confirmations.
    const beneficiary = toStratosAddress(chains.accounts[2]!.address)
    const credits: PaymentCredit[] = []
    const watcher = createPaymentWatcher(
      {
        storagePayments: chains.addresses.polygon.storagePayments,
        chainId: chains.polygon.chainId,
        confirmations: 3,
      },
      {
        provider: chains.pol,
        store: createMemoryWatcherStore(),
        onPayment: async (c) => void credits.push(c),
      },
    )
    const paid = await user.prepay({ beneficiary, amount: 40n * STOS })
    expect(paid.paymentId).toBe(1n)
    expect(await watcher.poll()).toEqual([])
    await mine(chains.pol, 2)
    const credited = await watcher.poll()
    expect(credited).toHaveLength(1)
    expect(credited[0]).toMatchObject({
      key: `${chains.polygon.chainId}:${paid.hash.toLowerCase()}:${paid.logIndex}`,
      beneficiary: chains.accounts[2]!.address,
      amount: 40n * STOS,
      payer: userAddr,
    })
    await mine(chains.pol, 5)
    expect(await watcher.poll()).toEqual([])
    expect(credits).toHaveLength(1)
    const prepayments = await user.prepaymentsOf(beneficiary)
    expect(prepayments.map((p) => [p.paymentId, p.amount, p.spent, p.refunded])).toEqual([
      [1n, 40n * STOS, 0n, false],
    ])

    // 3. The committee posts epoch 1's reward root (core's tree), 2 of 3 signatures.
    const nodeA = chains.accounts[3]!.address
    const nodeB = chains.accounts[4]!.address
    const rewards = [
      { account: toStratosAddress(nodeA), amount: 7n * STOS },
      { account: nodeB, amount: 3n * STOS },
    ]
    const tree = buildRewardTree({ epoch: 1, rewards })
    // Cross-check: core's tree is OpenZeppelin's StandardMerkleTree.
    const oz = StandardMerkleTree.of(
      [
        [1n, nodeA, 7n * STOS],
        [1n, nodeB, 3n * STOS],
      ],
      ['uint64', 'address', 'uint256'],
    )
    expect(tree.root).toBe(oz.root)
    await increaseTime(chains.pol, 601)
    const domain = await user.rewardsDomain()
    expect(domain.chainId).toBe(BigInt(chains.polygon.chainId))
    const value = { epoch: 1, root: tree.root, total: 10n * STOS }
    const sigs = sortSignatures(
      await Promise.all([7, 8].map((i) => signEpochRoot(chains.polWallet(i), domain, value))),
    ).map((s) => s.signature)
    await client(5).postEpochRoot({ ...value, signatures: sigs })
    expect(await user.epochRoot(1)).toMatchObject({ root: tree.root, total: 10n * STOS, claimed: 0n })

    // 4. Node A claims (someone else may send it; the STOS goes to A).
    await client(5).claimReward({ epoch: 1, account: nodeA, amount: 7n * STOS, proof: tree.proof(nodeA) })
    expect(await user.stosBalance('polygon', nodeA)).toBe(7n * STOS)
    expect(await user.isRewardClaimed(1, nodeA)).toBe(true)
    await expectErrorNamed(
      () => client(5).claimReward({ epoch: 1, account: nodeA, amount: 7n * STOS, proof: tree.proof(nodeA) }),
      'AlreadyClaimedError',
    )

    // 5. Node A withdraws its reward to Ethereum: burn, checkpoint, exit.
    const nodeClient = client(3)
    const ethA = await nodeClient.stosBalance('ethereum', nodeA)
    const burn = await nodeClient.startWithdraw({ amount: 7n * STOS })
    expect(await nodeClient.stosBalance('polygon', nodeA)).toBe(0n)
    expect(await nodeClient.isWithdrawCheckpointed(burn.hash)).toBe(false)
    await expectErrorNamed(() => nodeClient.exitWithdraw({ burnTxHash: burn.hash }), 'NotCheckpointedError')
    expect(await chains.relayer.checkpoint()).toBe(10_000n)
    expect(await nodeClient.isWithdrawCheckpointed(burn.hash)).toBe(true)
    await nodeClient.exitWithdraw({ burnTxHash: burn.hash })
    expect(await nodeClient.stosBalance('ethereum', nodeA)).toBe(ethA + 7n * STOS)
    // Anyone replaying the same exit is refused.
    await expectErrorNamed(
      () => client(5).exitWithdraw({ burnTxHash: burn.hash }),
      'ExitAlreadyProcessedError',
    )
  })

  it('Polygon PoS call shape: approve predicate + depositFor, withdraw (burn) + exit(proof)', async () => {
    const user = client(2)
    const addr = chains.accounts[2]!.address
    const { childStos } = chains.addresses.polygon
    const before = await user.stosBalance('ethereum', addr)
    const dep = await user.deposit({ amount: 5n * STOS, route: 'pos' })
    expect(dep.stateId).toBeDefined()
    await chains.relayer.syncState()
    const { contractAt } = await import('./helpers.js')
    const child = contractAt('ChildStos', childStos, chains.pol)
    expect(await child.getFunction('balanceOf').staticCall(addr)).toBe(5n * STOS)
    // The predicate holds the locked STOS.
    expect(await user.stosBalance('ethereum', chains.addresses.ethereum.erc20Predicate)).toBe(5n * STOS)
    const burn = await user.startWithdraw({ amount: 2n * STOS, route: 'pos' })
    await chains.relayer.checkpoint()
    // A PoS burn is not a tunnel withdrawal.
    await expectErrorNamed(() => user.exitWithdraw({ burnTxHash: burn.hash }), 'WithdrawalNotFoundError')
    await user.exitWithdraw({ burnTxHash: burn.hash, route: 'pos' })
    expect(await user.stosBalance('ethereum', addr)).toBe(before - 3n * STOS)
    await expectErrorNamed(
      () => user.exitWithdraw({ burnTxHash: burn.hash, route: 'pos' }),
      'ExitAlreadyProcessedError',
    )
  })

  it('deployBridge puts our contracts onto existing Polygon infrastructure (as for Amoy or mainnet)', async () => {
    const eth = chains.ethWallet(5)
    const pol = chains.polWallet(5)
    const a = chains.addresses
    const deployed = await deployBridge({
      ethereum: eth,
      polygon: pol,
      stos: a.ethereum.stos,
      fxRoot: a.ethereum.fxRoot,
      fxChild: a.polygon.fxChild,
      checkpointManager: a.ethereum.checkpointManager,
      committee: [7, 8, 9].map((i) => chains.accounts[i]!.address),
      threshold: 2,
    })
    const book = {
      ethereum: { chainId: chains.ethereum.chainId, stos: a.ethereum.stos, ...deployed.ethereum },
      polygon: { chainId: chains.polygon.chainId, ...deployed.polygon },
    }
    const c = createBridgeClient({ ethereum: eth, polygon: pol, addresses: book })
    await c.deposit({ amount: 3n * STOS })
    await chains.relayer.syncState()
    expect(await c.stosBalance('polygon', eth.address)).toBe(3n * STOS)
    const paid = await c.prepay({ beneficiary: eth.address, amount: STOS })
    expect(paid.paymentId).toBe(1n)
    expect((await c.rewardsDomain()).verifyingContract).toBe(deployed.polygon.trafficRewards)
  })
})
