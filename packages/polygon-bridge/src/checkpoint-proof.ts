import { StandardMerkleTree } from '@openzeppelin/merkle-tree'
import { AbiCoder, type Provider } from 'ethers'

/** Leaf types of a checkpoint tree: (blockNumber, logIndex, emitter, topics, data). */
export const CHECKPOINT_LEAF_TYPES = ['uint256', 'uint256', 'address', 'bytes32[]', 'bytes'] as const

/** One child-chain log as a checkpoint leaf. */
export type CheckpointLeaf = [
  blockNumber: bigint,
  logIndex: bigint,
  emitter: string,
  topics: string[],
  data: string,
]

/** Everything `CheckpointedLogReader` needs to prove one log. */
export interface ExitPayloadInit {
  headerNumber: bigint
  blockNumber: bigint
  logIndex: bigint
  emitter: string
  topics: string[]
  data: string
  proof: string[]
}

/** Reads every log of child blocks [start, end] as checkpoint leaves (in chunks of `chunk` blocks). */
export async function fetchCheckpointLeaves(
  provider: Provider,
  start: number,
  end: number,
  chunk = 2000,
): Promise<CheckpointLeaf[]> {
  const leaves: CheckpointLeaf[] = []
  for (let from = start; from <= end; from += chunk) {
    const to = Math.min(end, from + chunk - 1)
    const logs = await provider.getLogs({ fromBlock: from, toBlock: to })
    for (const log of logs) {
      leaves.push([BigInt(log.blockNumber), BigInt(log.index), log.address, [...log.topics], log.data])
    }
  }
  return leaves
}

/** Builds the checkpoint tree (OpenZeppelin StandardMerkleTree, leaf = keccak(keccak(abi.encode(leaf)))). */
export function buildCheckpointTree(leaves: CheckpointLeaf[]): StandardMerkleTree<CheckpointLeaf> {
  return StandardMerkleTree.of(leaves, [...CHECKPOINT_LEAF_TYPES])
}

/** ABI-encodes the exit payload that `RootChainManager.exit` and `StosRootTunnel.receiveMessage` take. */
export function encodeExitPayload(init: ExitPayloadInit): string {
  return AbiCoder.defaultAbiCoder().encode(
    ['uint256', 'uint256', 'uint256', 'address', 'bytes32[]', 'bytes', 'bytes32[]'],
    [init.headerNumber, init.blockNumber, init.logIndex, init.emitter, init.topics, init.data, init.proof],
  )
}
