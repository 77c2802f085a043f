/** `claim()` in the worker: which epochs to claim, with their proofs, and the node key's way of sending. */
import type { KeyPair } from '@stratos-edge/core'
import type { ClaimResult, RewardClaimCall } from '../../api-types.js'
import { ClaimFailedError, NothingToClaimError } from '../../errors.js'
import { encodeClaimCall } from './rewards-contract.js'
import type { TrafficIndex } from './traffic-index.js'

/**
 * The claims `account` can send now: every epoch settled, its root posted, not yet claimed, with a
 * reward; each with its Merkle proof from the meta service.
 *
 * @example
 * ```ts
 * const calls = await planRewardClaims(account, index)
 * ```
 */
export async function planRewardClaims(
  account: string,
  index: Pick<TrafficIndex, 'trafficStatus' | 'rewardProof'>,
): Promise<RewardClaimCall[]> {
  const status = await index.trafficStatus(account)
  const to = status.trafficRewards
  if (!to) return []
  const calls: RewardClaimCall[] = []
  for (const e of status.epochs) {
    if (!e.settled || !e.rootPosted || e.claimed || BigInt(e.reward) === 0n) continue
    const proof = await index.rewardProof(e.epoch, account)
    calls.push({
      epoch: proof.epoch,
      account: proof.account,
      amount: proof.amount,
      proof: proof.proof,
      to,
      data: encodeClaimCall({ ...proof, amount: BigInt(proof.amount) }),
    })
  }
  return calls
}

/** Throws `NothingToClaimError` for an empty plan. */
export function requireClaims(calls: RewardClaimCall[]): void {
  if (calls.length === 0) {
    throw new NothingToClaimError(
      'No settled epoch has an unclaimed reward for this node',
      'Serve slices, wait until the epoch settles and its root is posted, then claim',
    )
  }
}

/**
 * Sends the claims from the node key over `rpcUrl` (the node key pays the gas) and waits for each.
 *
 * @example
 * ```ts
 * const result = await claimWithNodeKey(calls, { rpcUrl, nodeKey })
 * ```
 */
export async function claimWithNodeKey(
  calls: RewardClaimCall[],
  components: { rpcUrl: string; nodeKey: KeyPair },
): Promise<ClaimResult> {
  requireClaims(calls)
  // Loaded only here: a node that never claims with its own key never loads a wallet library.
  const { JsonRpcProvider, Wallet, hexlify } = await import('ethers')
  const wallet = new Wallet(hexlify(components.nodeKey.privateKey), new JsonRpcProvider(components.rpcUrl))
  const txHashes: string[] = []
  for (const c of calls) {
    const tx = await wallet.sendTransaction({ to: c.to, data: c.data })
    const mined = await tx.wait(1, 120_000)
    if (mined?.status !== 1)
      throw new ClaimFailedError(
        `Claim of epoch ${c.epoch} reverted (${tx.hash})`,
        'Check traffic() and claim again',
      )
    txHashes.push(tx.hash)
  }
  return claimResult(calls, txHashes)
}

/** The result of sending `calls` as `txHashes`. */
export function claimResult(calls: RewardClaimCall[], txHashes: string[]): ClaimResult {
  return {
    epochs: calls.map((c) => c.epoch),
    amount: calls.reduce((sum, c) => sum + BigInt(c.amount), 0n).toString(),
    txHashes,
  }
}
