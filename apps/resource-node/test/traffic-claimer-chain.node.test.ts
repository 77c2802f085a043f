// The resource node's claimer on a real anvil: after an epoch settles and its root is posted, the node's
// own key claims its reward (paying the gas); its STOS balance rises by exactly its reward, and neither a
// second look nor a restarted claimer sends another claim.
import { splitTrafficReward, trafficReward } from '@stratos-edge/core'
import { createBridgeClient } from '@stratos-edge/polygon-bridge'
import { DEV_ROLES } from '@stratos-edge/polygon-bridge/local'
import { hexlify, parseEther, toBeHex, Wallet } from 'ethers'
import { describe, expect, it } from 'vitest'
import { createTrafficClaimer, type RewardChain } from '../src/node/traffic-claimer.js'
import { loadOrCreateNodeEvmKey } from '../src/node/traffic-key.js'
import { createSettlementRewardSource } from '../src/node/traffic-settlement-source.js'
import { createCommitteeRootPoster } from '../src/traffic/index.js'
import { useAnvilTrafficRewards } from './support/anvil-traffic-rewards.js'
import {
  afterLate,
  EPOCH_MS,
  GENESIS_MS,
  LATE_MS,
  logger,
  MARKET,
  makeWorld,
  receiptOf,
  settlementFor,
  ticketFor,
} from './traffic-fixtures.js'

describe('resource node reward claims on anvil', () => {
  const rig = useAnvilTrafficRewards()

  it('claims exactly its reward once, with its own key paying the gas', async () => {
    const { chains, eth, pol, dir } = rig
    const w = makeWorld(1, 0)
    const nodeKey = await loadOrCreateNodeEvmKey(dir)
    // The same key comes back on the next start.
    expect((await loadOrCreateNodeEvmKey(dir)).evmAddress).toBe(nodeKey.evmAddress)
    const funder = new Wallet(chains.accounts[0]!.privateKey, pol)
    await (await funder.sendTransaction({ to: nodeKey.evmAddress, value: parseEther('1') })).wait()

    const d = w.downloaders[0]!
    const ticket = ticketFor(w, d)
    const metaSender = rig.client
    const committee = DEV_ROLES.committee.map((i) => new Wallet(chains.accounts[i]!.privateKey, pol))
    const poster = createCommitteeRootPoster(
      { threshold: DEV_ROLES.threshold },
      { client: metaSender, committee },
    )
    const { settlement, store, clock } = settlementFor(w, dir, { tickets: [ticket], poster })
    expect(
      (await settlement.submit(nodeKey.evmAddress, [receiptOf(w, d, nodeKey, ticket, 8000, 1n)])).accepted,
    ).toBe(1)

    const nodeWallet = new Wallet(hexlify(nodeKey.privateKey), pol)
    const nodeClient = createBridgeClient({
      ethereum: new Wallet(hexlify(nodeKey.privateKey), eth),
      polygon: nodeWallet,
      addresses: chains.addresses,
    })
    let sent = 0
    const chain: RewardChain = {
      claimReward: async (claim) => {
        sent++
        return nodeClient.claimReward(claim)
      },
      isRewardClaimed: (epoch, account) => nodeClient.isRewardClaimed(epoch, account),
    }
    const source = createSettlementRewardSource(
      { clock: { genesisMs: GENESIS_MS, epochMs: EPOCH_MS }, lateWindowMs: LATE_MS, now: () => clock.now },
      { settlement, store },
    )
    const claimer = createTrafficClaimer({ account: nodeKey.evmAddress }, { source, chain, logger })

    // Settled but not yet posted: nothing to claim.
    clock.now = afterLate(1)
    await settlement.settle(1)
    expect(await claimer.claimDue()).toEqual([])
    expect(sent).toBe(0)

    await pol.send('evm_increaseTime', [toBeHex(1300)])
    await pol.send('evm_mine', [])
    await settlement.tick()
    expect((await store.settlement(1))?.postedTx).toBeDefined()

    const expected = splitTrafficReward(trafficReward(8000n, MARKET)).resourceNodes
    const before = await nodeClient.stosBalance('polygon', nodeKey.evmAddress)
    const gasBefore = await pol.getBalance(nodeKey.evmAddress)
    const claimed = await claimer.claimDue()
    expect(claimed.map((c) => [c.epoch, c.amount])).toEqual([[1, expected]])
    expect((await nodeClient.stosBalance('polygon', nodeKey.evmAddress)) - before).toBe(expected)
    expect(await pol.getBalance(nodeKey.evmAddress)).toBeLessThan(gasBefore) // its key paid the gas

    // Again, and from a restarted claimer: no second claim is sent.
    const nonce = await pol.getTransactionCount(nodeKey.evmAddress)
    expect(await claimer.claimDue()).toEqual([])
    const restarted = createTrafficClaimer({ account: nodeKey.evmAddress }, { source, chain, logger })
    expect(await restarted.claimDue()).toEqual([])
    expect(restarted.claimed()).toEqual([{ epoch: 1, amount: expected, txHash: undefined }])
    expect(sent).toBe(1)
    expect(await pol.getTransactionCount(nodeKey.evmAddress)).toBe(nonce)
    expect((await nodeClient.stosBalance('polygon', nodeKey.evmAddress)) - before).toBe(expected)
    await store.close()
  })
})
