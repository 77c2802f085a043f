import { concatBytes, fromHex, toHex, uint256Word } from '../encoding/bytes.js'
import { RewardTreeError } from '../errors.js'
import { keccak256 } from '../ids/keccak.js'
import { addressToBytes, type EvmAddress, toChecksumAddress } from '../keys/address.js'

/** ABI types of a reward leaf, in order; the rewards contract hashes the same tuple. */
export const REWARD_LEAF_TYPES = ['uint64', 'address', 'uint256'] as const

/** One node's reward for one epoch. */
export interface Reward {
  /** `st1…` or `0x…`. */
  readonly account: string
  readonly amount: bigint
}

/** Inputs of {@link buildRewardTree}. */
export interface RewardTreeInit {
  readonly epoch: number
  readonly rewards: readonly Reward[]
}

/** A built reward tree with proofs. */
export interface RewardTree {
  readonly epoch: number
  readonly root: `0x${string}`
  /** Leaves in input order, with their hashes. */
  readonly leaves: readonly { account: EvmAddress; amount: bigint; hash: `0x${string}` }[]
  /** The proof for an account's leaf; throws RewardTreeError when it has no reward in this tree. */
  proof(account: string): `0x${string}`[]
  /** OpenZeppelin `StandardMerkleTree.dump()` format, loadable by `StandardMerkleTree.load`. */
  dump(): {
    format: 'standard-v1'
    leafEncoding: string[]
    tree: string[]
    values: { value: [string, string, string]; treeIndex: number }[]
  }
}

/**
 * The leaf hash OpenZeppelin's StandardMerkleTree uses: keccak256(keccak256(abi.encode(epoch, account,
 * amount))). Double hashing keeps a leaf from being passed off as an inner node.
 */
export function rewardLeafHash(epoch: number | bigint, account: string, amount: bigint): Uint8Array {
  if (typeof epoch === 'number' && !Number.isSafeInteger(epoch)) {
    throw new RewardTreeError(`Epoch ${epoch} is not a whole number`)
  }
  const e = BigInt(epoch)
  if (e < 0n || e >= 1n << 64n) throw new RewardTreeError(`Epoch ${epoch} does not fit uint64`)
  if (amount < 0n || amount >= 1n << 256n) throw new RewardTreeError(`Amount ${amount} does not fit uint256`)
  const addressWord = new Uint8Array(32)
  addressWord.set(addressToBytes(account), 12)
  return keccak256(keccak256(concatBytes(uint256Word(e), addressWord, uint256Word(amount))))
}

function compare(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < 32; i++) {
    const d = (a[i] as number) - (b[i] as number)
    if (d !== 0) return d
  }
  return 0
}

/** Hash of two sibling nodes, smaller first, as OpenZeppelin's `MerkleProof` expects. */
export function hashPair(a: Uint8Array, b: Uint8Array): Uint8Array {
  return compare(a, b) <= 0 ? keccak256(concatBytes(a, b)) : keccak256(concatBytes(b, a))
}

/**
 * Builds an epoch's reward tree, node for node the same as OpenZeppelin's
 * `StandardMerkleTree.of(values, ['uint64','address','uint256'])`, so Solidity's `MerkleProof.verify`
 * accepts its proofs.
 *
 * @example
 * ```ts
 * const tree = buildRewardTree({ epoch: 42, rewards: [{ account: 'st1…', amount: 10n ** 18n }] })
 * await rewards.claim(42, account, 10n ** 18n, tree.proof(account))
 * ```
 */
export function buildRewardTree(init: RewardTreeInit): RewardTree {
  if (init.rewards.length === 0) throw new RewardTreeError('A reward tree needs at least one reward')
  const seen = new Set<string>()
  const leaves = init.rewards.map((r) => {
    const account = toChecksumAddress(addressToBytes(r.account))
    if (seen.has(account))
      throw new RewardTreeError(`Account ${account} appears twice`, 'Sum its rewards into one leaf')
    seen.add(account)
    const hash = rewardLeafHash(init.epoch, account, r.amount)
    return { account, amount: r.amount, hashBytes: hash, hash: toHex(hash) }
  })
  // Sorted ascending; sorted leaf i sits at tree[length - 1 - i], inner nodes above them.
  const order = leaves.map((_, i) => i).sort((a, b) => compare(leaves[a]!.hashBytes, leaves[b]!.hashBytes))
  const n = leaves.length
  const tree: Uint8Array[] = new Array(2 * n - 1)
  const treeIndexOf = new Array<number>(n)
  order.forEach((leafIndex, sortedPosition) => {
    const at = tree.length - 1 - sortedPosition
    tree[at] = leaves[leafIndex]!.hashBytes
    treeIndexOf[leafIndex] = at
  })
  for (let i = tree.length - 1 - n; i >= 0; i--) tree[i] = hashPair(tree[2 * i + 1]!, tree[2 * i + 2]!)
  const root = toHex(tree[0]!)

  const proofAt = (index: number): `0x${string}`[] => {
    const proof: `0x${string}`[] = []
    for (let i = index; i > 0; i = Math.floor((i - 1) / 2))
      proof.push(toHex(tree[i % 2 === 0 ? i - 1 : i + 1]!))
    return proof
  }

  return {
    epoch: init.epoch,
    root,
    leaves: leaves.map(({ account, amount, hash }) => ({ account, amount, hash })),
    proof(account) {
      const target = toChecksumAddress(addressToBytes(account))
      const i = leaves.findIndex((l) => l.account === target)
      if (i < 0) throw new RewardTreeError(`No reward for ${target} in epoch ${init.epoch}`)
      return proofAt(treeIndexOf[i]!)
    },
    dump() {
      return {
        format: 'standard-v1',
        leafEncoding: [...REWARD_LEAF_TYPES],
        tree: tree.map((t) => toHex(t)),
        values: leaves.map((l, i) => ({
          value: [String(init.epoch), l.account, l.amount.toString()],
          treeIndex: treeIndexOf[i]!,
        })),
      }
    },
  }
}

/**
 * Verifies a proof as Solidity's `MerkleProof.verify` does.
 *
 * @example
 * ```ts
 * verifyRewardProof(tree.root, 42, account, amount, tree.proof(account)) // true
 * ```
 */
export function verifyRewardProof(
  root: string,
  epoch: number | bigint,
  account: string,
  amount: bigint,
  proof: readonly string[],
): boolean {
  let node = rewardLeafHash(epoch, account, amount)
  for (const sibling of proof) node = hashPair(node, fromHex(sibling))
  return toHex(node) === root.toLowerCase()
}
