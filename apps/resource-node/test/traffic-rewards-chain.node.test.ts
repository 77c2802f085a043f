// Settlement end to end on a real anvil: an epoch's root goes to TrafficRewards with 2 of 3 committee
// signatures, the honest provider claims with its proof and its STOS balance rises by exactly its
// reward; replayed, forged and self-dealt receipts earn nothing (balances asserted).
import { generateKeyPair, splitTrafficReward, trafficReward } from '@stratos-edge/core'
import { DEV_ROLES } from '@stratos-edge/polygon-bridge/local'
import { toBeHex, Wallet } from 'ethers'
import { describe, expect, it } from 'vitest'
import { createCommitteeRootPoster } from '../src/traffic/index.js'
import { useAnvilTrafficRewards } from './support/anvil-traffic-rewards.js'
import { afterLate, MARKET, makeWorld, receiptOf, settlementFor, ticketFor } from './traffic-fixtures.js'

describe('traffic rewards on anvil', () => {
  // The rewards pool holds bridged STOS; account 5 (`client`) sends the meta service's transactions.
  const rig = useAnvilTrafficRewards()

  it('posts the root with 2 of 3 keys; the honest provider claims exactly its reward, cheats get nothing', async () => {
    const { chains, pol, client, dir } = rig
    const w = makeWorld(2, 3)
    const [honest, forger, selfDealer] = w.providers as [typeof w.meta, typeof w.meta, typeof w.meta]
    const [d0, d1] = w.downloaders as [typeof w.meta, typeof w.meta]
    const t0 = ticketFor(w, d0)
    const t1 = ticketFor(w, d1)
    // The self-dealer's downloader d1 is run by the same owner.
    const operator = generateKeyPair().evmAddress
    const ownerOf = (a: string) => (a === selfDealer.evmAddress || a === d1.evmAddress ? [operator] : [])
    const committee = DEV_ROLES.committee.map((i) => new Wallet(chains.accounts[i]!.privateKey, pol))
    const poster = createCommitteeRootPoster({ threshold: DEV_ROLES.threshold }, { client, committee })
    const { settlement, store, clock } = settlementFor(w, dir, { tickets: [t0, t1], ownerOf, poster })

    const genuine = receiptOf(w, d0, honest, t0, 5000, 1n)
    expect((await settlement.submit(honest.evmAddress, [genuine])).accepted).toBe(1)
    // Replays: the same receipt again; another receipt reusing its nonce; it in another's hands.
    expect((await settlement.submit(honest.evmAddress, [genuine])).duplicates).toBe(1)
    const reused = receiptOf(w, d0, honest, t0, 9000, 1n)
    expect((await settlement.submit(honest.evmAddress, [reused])).rejected[0]?.reason).toBe('replayed')
    expect((await settlement.submit(forger.evmAddress, [genuine])).rejected[0]?.reason).toBe('wrong-provider')
    // Forged: bytes inflated after signing.
    const forged = { ...receiptOf(w, d0, forger, t0, 10, 2n), bytes: 10_000_000 }
    expect((await settlement.submit(forger.evmAddress, [forged])).rejected[0]?.reason).toBe('forged')
    // Self-dealt: the self-dealer's own downloader.
    const selfDealt = receiptOf(w, d1, selfDealer, t1, 1_000_000, 1n)
    expect((await settlement.submit(selfDealer.evmAddress, [selfDealt])).rejected[0]?.reason).toBe(
      'self-dealing',
    )

    // Let epoch 1 end on the chain too (600 s epochs), then settle and post.
    await pol.send('evm_increaseTime', [toBeHex(1300)])
    await pol.send('evm_mine', [])
    clock.now = afterLate(1)
    await settlement.tick()
    const settled = await store.settlement(1)
    expect(settled?.postedTx).toMatch(/^0x[0-9a-f]{64}$/)
    const onChain = await client.epochRoot(1)
    expect(onChain?.root).toBe(settled?.root)
    expect(onChain?.total).toBe(settled?.total)

    // The honest provider is paid the whole resource-node pool of 5000 bytes, exactly.
    const expected = splitTrafficReward(trafficReward(5000n, MARKET)).resourceNodes
    const claim = await settlement.rewardProof(1, honest.evmAddress)
    expect(claim.amount).toBe(expected)
    const before = await client.stosBalance('polygon', honest.evmAddress)
    await client.claimReward({
      epoch: 1,
      account: honest.evmAddress,
      amount: claim.amount,
      proof: claim.proof,
    })
    expect((await client.stosBalance('polygon', honest.evmAddress)) - before).toBe(expected)
    // A second claim, or a claim of more, is refused and changes nothing.
    await expect(
      client.claimReward({ epoch: 1, account: honest.evmAddress, amount: claim.amount, proof: claim.proof }),
    ).rejects.toHaveProperty('name')
    await expect(
      client.claimReward({ epoch: 1, account: forger.evmAddress, amount: expected, proof: claim.proof }),
    ).rejects.toHaveProperty('name')
    expect((await client.stosBalance('polygon', honest.evmAddress)) - before).toBe(expected)
    // The cheats have no leaf, and no STOS.
    for (const cheat of [forger, selfDealer]) {
      await expect(settlement.rewardProof(1, cheat.evmAddress)).rejects.toHaveProperty(
        'name',
        'NoRewardError',
      )
      expect(await client.stosBalance('polygon', cheat.evmAddress)).toBe(0n)
    }
    // Posting again is a no-op: the root is already there.
    expect(await poster.post({ epoch: 1, root: settled!.root!, total: settled!.total })).toBe(
      'already-posted',
    )
    await store.close()
  })
})
