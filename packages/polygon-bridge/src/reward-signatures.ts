import { type Signer, type TypedDataDomain, verifyTypedData } from 'ethers'

/** The EIP-712 type of a reward root that committee members sign. */
export const EPOCH_ROOT_TYPES = {
  EpochRoot: [
    { name: 'epoch', type: 'uint64' },
    { name: 'root', type: 'bytes32' },
    { name: 'total', type: 'uint256' },
  ],
} as const

/** One epoch's reward root as the committee signs and posts it. */
export interface EpochRootValue {
  epoch: number | bigint
  /** StandardMerkleTree root over (epoch, account, amount) leaves (`buildRewardTree` in `@stratos-edge/core`). */
  root: string
  /** Sum of all rewards in the tree (STOS wei); the contract reserves it from its balance. */
  total: bigint
}

/** A committee member's signature with its signer. */
export interface CommitteeSignature {
  signer: string
  signature: string
}

/**
 * Signs an epoch root as a committee member. `domain` must be the rewards contract's (see
 * `BridgeClient.rewardsDomain()`: name, version, chain id and contract address), so the signature is valid on
 * that contract on that chain only.
 *
 * @example
 * ```ts
 * const domain = await client.rewardsDomain()
 * const sigs = await Promise.all(committee.map((w) => signEpochRoot(w, domain, { epoch: 7, root, total })))
 * await client.postEpochRoot({ epoch: 7, root, total, signatures: sortSignatures(sigs).slice(0, 2) })
 * ```
 */
export async function signEpochRoot(
  signer: Signer,
  domain: TypedDataDomain,
  value: EpochRootValue,
): Promise<CommitteeSignature> {
  const signature = await signer.signTypedData(domain, structuredTypes(), {
    epoch: BigInt(value.epoch),
    root: value.root,
    total: value.total,
  })
  return { signer: await signer.getAddress(), signature }
}

/** Recovers who signed `value` under `domain`. */
export function recoverEpochRootSigner(
  domain: TypedDataDomain,
  value: EpochRootValue,
  signature: string,
): string {
  return verifyTypedData(
    domain,
    structuredTypes(),
    { epoch: BigInt(value.epoch), root: value.root, total: value.total },
    signature,
  )
}

/** Sorts signatures ascending by signer address, the order `TrafficRewards.postEpochRoot` requires. */
export function sortSignatures(signatures: readonly CommitteeSignature[]): CommitteeSignature[] {
  return [...signatures].sort((a, b) => {
    const x = BigInt(a.signer)
    const y = BigInt(b.signer)
    return x < y ? -1 : x > y ? 1 : 0
  })
}

function structuredTypes(): Record<string, { name: string; type: string }[]> {
  return { EpochRoot: EPOCH_ROOT_TYPES.EpochRoot.map((f) => ({ ...f })) }
}
