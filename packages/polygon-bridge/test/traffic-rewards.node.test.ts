import { buildRewardTree } from '@stratos-edge/core'
import { type Contract, type TypedDataDomain, Wallet } from 'ethers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type BridgeClient, createBridgeClient } from '../src/bridge-client.js'
import { signEpochRoot, sortSignatures } from '../src/reward-signatures.js'
import {
  contractAt,
  deployArtifact,
  expectErrorNamed,
  expectRevert,
  fund,
  increaseTime,
  STOS,
  startTestChains,
  type TestChains,
} from './helpers.js'

describe('TrafficRewards', () => {
  let chains: TestChains
  let poster: BridgeClient
  let domain: TypedDataDomain
  const committee = [7, 8, 9]

  async function sigs(
    epoch: number,
    root: string,
    total: bigint,
    who = [7, 8],
    d = domain,
  ): Promise<string[]> {
    const signed = await Promise.all(
      who.map((i) => signEpochRoot(chains.polWallet(i), d, { epoch, root, total })),
    )
    return sortSignatures(signed).map((s) => s.signature)
  }

  function treeFor(epoch: number, amounts: bigint[]) {
    return buildRewardTree({
      epoch,
      rewards: amounts.map((amount, i) => ({ account: chains.accounts[i + 1]!.address, amount })),
    })
  }

  beforeAll(async () => {
    chains = await startTestChains()
    poster = createBridgeClient({
      ethereum: chains.ethWallet(5),
      polygon: chains.polWallet(5),
      addresses: chains.addresses,
    })
    // Fund the rewards pool with bridged STOS.
    const treasury = createBridgeClient({
      ethereum: chains.ethWallet(0),
      polygon: chains.polWallet(0),
      addresses: chains.addresses,
    })
    await treasury.deposit({ amount: 1000n * STOS, to: chains.addresses.polygon.trafficRewards })
    await chains.relayer.syncState()
    domain = await poster.rewardsDomain()
    // Let epochs 1..5 end.
    await increaseTime(chains.pol, 600 * 5 + 1)
  })
  afterAll(async () => {
    await chains?.stop()
  })

  it('reports its EIP-712 domain with chain id and address, and the epoch clock', async () => {
    expect(domain).toEqual({
      name: 'Stratos Edge Traffic Rewards',
      version: '1',
      chainId: BigInt(chains.polygon.chainId),
      verifyingContract: chains.addresses.polygon.trafficRewards,
    })
    const { current, lastPosted } = await poster.epochs()
    expect(current).toBe(6n)
    expect(lastPosted).toBe(0n)
  })

  it('rejects a future epoch: the running epoch and later', async () => {
    const tree = treeFor(6, [1n])
    const err = await expectErrorNamed(
      async () =>
        poster.postEpochRoot({
          epoch: 6,
          root: tree.root,
          total: 1n,
          signatures: await sigs(6, tree.root, 1n),
        }),
      'FutureEpochError',
    )
    expect((err as unknown as { reason: string }).reason).toBe('FutureEpoch')
    await expectErrorNamed(
      async () =>
        poster.postEpochRoot({
          epoch: 9,
          root: tree.root,
          total: 1n,
          signatures: await sigs(9, tree.root, 1n),
        }),
      'FutureEpochError',
    )
  })

  it('rejects a signature from a key outside the committee', async () => {
    const tree = treeFor(2, [1n])
    const outsider = Wallet.createRandom()
    const good = await signEpochRoot(chains.polWallet(7), domain, { epoch: 2, root: tree.root, total: 1n })
    const bad = await signEpochRoot(outsider, domain, { epoch: 2, root: tree.root, total: 1n })
    const signatures = sortSignatures([good, bad]).map((s) => s.signature)
    const err = await expectErrorNamed(
      () => poster.postEpochRoot({ epoch: 2, root: tree.root, total: 1n, signatures }),
      'NotCommitteeMemberError',
    )
    expect((err as unknown as { args: string[] }).args[0]).toBe(outsider.address)
  })

  it('rejects a signature over other values (wrong root) and too few or repeated signers', async () => {
    const tree = treeFor(2, [1n])
    const other = treeFor(2, [2n])
    const signatures = await sigs(2, other.root, 1n)
    await expectErrorNamed(
      () => poster.postEpochRoot({ epoch: 2, root: tree.root, total: 1n, signatures }),
      'NotCommitteeMemberError',
    )
    await expectErrorNamed(
      async () =>
        poster.postEpochRoot({
          epoch: 2,
          root: tree.root,
          total: 1n,
          signatures: await sigs(2, tree.root, 1n, [7]),
        }),
      'InvalidSignatureSetError',
    )
    const one = (await sigs(2, tree.root, 1n, [8]))[0]!
    await expectErrorNamed(
      () => poster.postEpochRoot({ epoch: 2, root: tree.root, total: 1n, signatures: [one, one] }),
      'InvalidSignatureSetError',
    )
  })

  it('accepts M of N, then rejects stale epochs (equal or lower), allows skipping ahead', async () => {
    const t2 = treeFor(2, [3n * STOS, 4n * STOS])
    await poster.postEpochRoot({
      epoch: 2,
      root: t2.root,
      total: 7n * STOS,
      signatures: await sigs(2, t2.root, 7n * STOS, [8, 9]),
    })
    expect((await poster.epochs()).lastPosted).toBe(2n)
    const again = treeFor(2, [1n])
    await expectErrorNamed(
      async () =>
        poster.postEpochRoot({
          epoch: 2,
          root: again.root,
          total: 1n,
          signatures: await sigs(2, again.root, 1n),
        }),
      'StaleEpochError',
    )
    const older = treeFor(1, [1n])
    await expectErrorNamed(
      async () =>
        poster.postEpochRoot({
          epoch: 1,
          root: older.root,
          total: 1n,
          signatures: await sigs(1, older.root, 1n),
        }),
      'StaleEpochError',
    )
    const t4 = treeFor(4, [5n * STOS])
    await poster.postEpochRoot({
      epoch: 4,
      root: t4.root,
      total: 5n * STOS,
      signatures: await sigs(4, t4.root, 5n * STOS, committee),
    })
    expect((await poster.epochRoot(4))?.root).toBe(t4.root)
    // Epoch 3 was skipped and can no longer be posted.
    const t3 = treeFor(3, [1n])
    await expectErrorNamed(
      async () =>
        poster.postEpochRoot({ epoch: 3, root: t3.root, total: 1n, signatures: await sigs(3, t3.root, 1n) }),
      'StaleEpochError',
    )
  })

  it('pays a claim once, rejects double claims, wrong amounts and unknown epochs', async () => {
    const t2 = treeFor(2, [3n * STOS, 4n * STOS])
    const a = chains.accounts[1]!.address
    const b = chains.accounts[2]!.address
    await expectErrorNamed(
      () => poster.claimReward({ epoch: 2, account: a, amount: 4n * STOS, proof: t2.proof(a) }),
      'InvalidProofError',
    )
    await expectErrorNamed(
      () => poster.claimReward({ epoch: 3, account: a, amount: 3n * STOS, proof: t2.proof(a) }),
      'UnknownEpochError',
    )
    await poster.claimReward({ epoch: 2, account: a, amount: 3n * STOS, proof: t2.proof(a) })
    await expectErrorNamed(
      () => poster.claimReward({ epoch: 2, account: a, amount: 3n * STOS, proof: t2.proof(a) }),
      'AlreadyClaimedError',
    )
    await poster.claimReward({ epoch: 2, account: b, amount: 4n * STOS, proof: t2.proof(b) })
    expect(await poster.stosBalance('polygon', a)).toBe(3n * STOS)
    expect(await poster.stosBalance('polygon', b)).toBe(4n * STOS)
    expect((await poster.epochRoot(2))?.claimed).toBe(7n * STOS)
  })

  it('refuses a root whose total the pool cannot cover', async () => {
    const t = treeFor(5, [10_000n * STOS])
    await expectRevert(
      async () =>
        poster.postEpochRoot({
          epoch: 5,
          root: t.root,
          total: 10_000n * STOS,
          signatures: await sigs(5, t.root, 10_000n * STOS),
        }),
      'InsufficientRewardFunds',
    )
  })

  it('rejects cross-chain replay: the same signatures for the same contract address on another chain', async () => {
    // A fresh deployer with nonce 0 on both chains gives identical addresses on both.
    const key = Wallet.createRandom().privateKey
    const onEth = new Wallet(key, chains.eth)
    const onPol = new Wallet(key, chains.pol)
    await fund(chains.eth, onEth.address)
    await fund(chains.pol, onPol.address)
    const genesis = Math.floor(Date.now() / 1000) - 3600 * 24 * 30
    const members = committee.map((i) => chains.accounts[i]!.address)
    const deployPair = async (w: Wallet): Promise<Contract> => {
      const token = await deployArtifact(w, 'TestStos', [w.address])
      const rewards = await deployArtifact(w, 'TrafficRewards', [
        await token.getAddress(),
        w.address,
        members,
        2,
        genesis,
        600,
      ])
      await (await token.getFunction('mint').send(await rewards.getAddress(), 100n * STOS)).wait()
      return rewards
    }
    const rEth = await deployPair(onEth)
    const rPol = await deployPair(onPol)
    const address = await rPol.getAddress()
    expect(await rEth.getAddress()).toBe(address)
    const book = {
      ethereum: { ...chains.addresses.ethereum, chainId: chains.ethereum.chainId },
      polygon: { ...chains.addresses.polygon, chainId: chains.polygon.chainId, trafficRewards: address },
    }
    const onPolygon = createBridgeClient({
      ethereum: chains.ethWallet(5),
      polygon: chains.polWallet(5),
      addresses: book,
    })
    // The same client code pointed at the "Ethereum" chain as if it were Polygon.
    const onEthereum = createBridgeClient({
      ethereum: chains.ethWallet(5),
      polygon: chains.ethWallet(5),
      addresses: { ...book, polygon: { ...book.polygon, chainId: chains.ethereum.chainId } },
    })
    const tree = treeFor(1, [1n * STOS])
    // The committee signs over the domain the Polygon contract reports.
    const polDomain = await onPolygon.rewardsDomain()
    const signatures = await sigs(1, tree.root, 1n * STOS, [7, 8], polDomain)
    await onPolygon.postEpochRoot({ epoch: 1, root: tree.root, total: 1n * STOS, signatures })
    await expectErrorNamed(
      () => onEthereum.postEpochRoot({ epoch: 1, root: tree.root, total: 1n * STOS, signatures }),
      'NotCommitteeMemberError',
    )
    expect(
      await contractAt('TrafficRewards', address, chains.eth).getFunction('lastEpoch').staticCall(),
    ).toBe(0n)
  })

  it('pause stops posting and claiming (owner only)', async () => {
    const rewards = contractAt('TrafficRewards', chains.addresses.polygon.trafficRewards, chains.polWallet(0))
    await expectErrorNamed(async () => {
      try {
        await contractAt('TrafficRewards', chains.addresses.polygon.trafficRewards, chains.polWallet(5))
          .getFunction('pause')
          .send()
      } catch (err) {
        const { decodeContractError } = await import('../src/errors.js')
        throw decodeContractError(err)
      }
    }, 'UnauthorizedError')
    await (await rewards.getFunction('pause').send()).wait()
    const t4 = treeFor(4, [5n * STOS])
    const a = chains.accounts[1]!.address
    await expectErrorNamed(
      () => poster.claimReward({ epoch: 4, account: a, amount: 5n * STOS, proof: t4.proof(a) }),
      'ContractPausedError',
    )
    await (await rewards.getFunction('unpause').send()).wait()
    await poster.claimReward({ epoch: 4, account: a, amount: 5n * STOS, proof: t4.proof(a) })
  })
})
