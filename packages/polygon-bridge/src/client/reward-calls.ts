/** Traffic rewards on Polygon (`TrafficRewards`): epoch roots the committee posts, and claims. */
import { toEvmAddress } from '@stratos-edge/core'
import { type TypedDataDomain, ZeroHash } from 'ethers'
import type { BridgeClient } from './bridge-client-types.js'
import { type ContractCalls, need } from './contract-calls.js'

type RewardCalls = Pick<
  BridgeClient,
  'rewardsDomain' | 'epochRoot' | 'epochs' | 'postEpochRoot' | 'claimReward' | 'isRewardClaimed'
>

/** The bridge client's reward calls. */
export function rewardCalls(calls: ContractCalls): RewardCalls {
  const { addresses, pol, reader, writer, send } = calls
  return {
    async rewardsDomain() {
      const c = await reader(pol, need(addresses.polygon.trafficRewards, 'TrafficRewards'), 'TrafficRewards')
      const d = await c.getFunction('eip712Domain').staticCall()
      const fields = Number(d[0])
      const domain: TypedDataDomain = {}
      if (fields & 1) domain.name = d[1] as string
      if (fields & 2) domain.version = d[2] as string
      if (fields & 4) domain.chainId = d[3] as bigint
      if (fields & 8) domain.verifyingContract = d[4] as string
      return domain
    },

    async epochRoot(epoch) {
      const c = await reader(pol, need(addresses.polygon.trafficRewards, 'TrafficRewards'), 'TrafficRewards')
      const r = await c.getFunction('epochRoots').staticCall(BigInt(epoch))
      if (r[0] === ZeroHash) return undefined
      return {
        epoch: BigInt(epoch),
        root: r[0] as string,
        total: r[1] as bigint,
        claimed: r[2] as bigint,
        postedAt: Number(r[3]),
      }
    },

    async epochs() {
      const c = await reader(pol, need(addresses.polygon.trafficRewards, 'TrafficRewards'), 'TrafficRewards')
      const [lastPosted, current] = await Promise.all([
        c.getFunction('lastEpoch').staticCall() as Promise<bigint>,
        c.getFunction('currentEpoch').staticCall() as Promise<bigint>,
      ])
      return { lastPosted, current }
    },

    async postEpochRoot({ epoch, root, total, signatures }) {
      const { contract } = await writer(
        pol,
        need(addresses.polygon.trafficRewards, 'TrafficRewards'),
        'TrafficRewards',
      )
      const receipt = await send(contract, 'postEpochRoot', [BigInt(epoch), root, total, [...signatures]], {
        token: false,
        pausable: true,
      })
      return { hash: receipt.hash, blockNumber: receipt.blockNumber }
    },

    async claimReward({ epoch, account, amount, proof }) {
      const { contract } = await writer(
        pol,
        need(addresses.polygon.trafficRewards, 'TrafficRewards'),
        'TrafficRewards',
      )
      const receipt = await send(
        contract,
        'claim',
        [BigInt(epoch), toEvmAddress(account), amount, [...proof]],
        {
          token: false,
          pausable: true,
        },
      )
      return { hash: receipt.hash, blockNumber: receipt.blockNumber }
    },

    async isRewardClaimed(epoch, account) {
      const c = await reader(pol, need(addresses.polygon.trafficRewards, 'TrafficRewards'), 'TrafficRewards')
      return (await c.getFunction('claimed').staticCall(BigInt(epoch), toEvmAddress(account))) as boolean
    },
  }
}
