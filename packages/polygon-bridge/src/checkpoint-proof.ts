import { concat, encodeRlp, keccak256, solidityPacked, ZeroHash } from 'ethers'
import {
  buildReceiptTrie,
  encodeProofNodes,
  encodeReceipt,
  type RpcReceipt,
  receiptTrieKey,
  rlpUint,
} from './receipt-trie.js'

/** Anything that speaks raw JSON-RPC (ethers `JsonRpcProvider`, `BrowserProvider`). */
export interface RpcSender {
  send(method: string, params: unknown[]): Promise<unknown>
}

/** The header fields a Polygon checkpoint commits to, per child block. */
export interface CheckpointHeader {
  number: bigint
  timestamp: bigint
  transactionsRoot: string
  receiptsRoot: string
}

/** The fields of Polygon's exit payload (FxPortal `receiveMessage`, PoS `RootChainManager.exit`). */
export interface ExitPayloadInit {
  headerNumber: bigint
  /** Concatenated 32-byte siblings from the block's leaf up to the checkpoint root. */
  blockProof: string
  blockNumber: bigint
  blockTime: bigint
  txRoot: string
  receiptRoot: string
  /** The receipt's consensus encoding. */
  receipt: string
  /** RLP-encoded trie nodes from the receipts root to the receipt. */
  receiptProof: string[]
  /** 0x00 ‖ rlp(transaction index). */
  branchMask: string
  /** Index of the log within its receipt. */
  receiptLogIndex: bigint
}

interface RpcBlock {
  number: string
  timestamp: string
  transactionsRoot: string
  receiptsRoot: string
  transactions: string[]
}

/** The checkpoint leaf of a block: keccak256(number ‖ timestamp ‖ transactionsRoot ‖ receiptsRoot). */
export function checkpointLeaf(h: CheckpointHeader): string {
  return keccak256(
    solidityPacked(
      ['uint256', 'uint256', 'bytes32', 'bytes32'],
      [h.number, h.timestamp, h.transactionsRoot, h.receiptsRoot],
    ),
  )
}

/** A binary Merkle tree over block leaves, zero-padded to a power of two (Polygon's checkpoint shape). */
export interface CheckpointTree {
  root: string
  /** Siblings of leaf `index`, bottom up, concatenated. */
  proof(index: number): string
}

/** Builds a checkpoint tree from the block headers of [start, end] in order. */
export function buildCheckpointTree(headers: readonly CheckpointHeader[]): CheckpointTree {
  if (headers.length === 0) throw new RangeError('a checkpoint needs at least one block')
  let size = 1
  while (size < headers.length) size *= 2
  const layers: string[][] = [
    [...headers.map(checkpointLeaf), ...Array.from({ length: size - headers.length }, () => ZeroHash)],
  ]
  while (layers[layers.length - 1]!.length > 1) {
    const below = layers[layers.length - 1]!
    const above: string[] = []
    for (let i = 0; i < below.length; i += 2) above.push(keccak256(concat([below[i]!, below[i + 1]!])))
    layers.push(above)
  }
  return {
    root: layers[layers.length - 1]![0]!,
    proof(index) {
      const siblings: string[] = []
      let i = index
      for (const layer of layers.slice(0, -1)) {
        siblings.push(layer[i ^ 1]!)
        i >>= 1
      }
      return concat(siblings)
    },
  }
}

async function getBlock(rpc: RpcSender, n: bigint | number): Promise<RpcBlock> {
  const block = (await rpc.send('eth_getBlockByNumber', [
    `0x${BigInt(n).toString(16)}`,
    false,
  ])) as RpcBlock | null
  if (!block) throw new RangeError(`block ${n} not found`)
  return block
}

/** Reads the checkpointed header fields of child blocks [start, end], `concurrency` requests at a time. */
export async function fetchCheckpointHeaders(
  rpc: RpcSender,
  start: number,
  end: number,
  concurrency = 32,
): Promise<CheckpointHeader[]> {
  const headers: CheckpointHeader[] = []
  for (let from = start; from <= end; from += concurrency) {
    const numbers = Array.from({ length: Math.min(concurrency, end - from + 1) }, (_, i) => from + i)
    const blocks = await Promise.all(numbers.map((n) => getBlock(rpc, n)))
    for (const b of blocks) {
      headers.push({
        number: BigInt(b.number),
        timestamp: BigInt(b.timestamp),
        transactionsRoot: b.transactionsRoot,
        receiptsRoot: b.receiptsRoot,
      })
    }
  }
  return headers
}

/**
 * Builds Polygon's exit payload for the log at `logIndex` (block-wide, as `Log.index`) of transaction `txHash`,
 * for checkpoint `headerNumber` covering child blocks [start, end]. Checks that the rebuilt receipts root
 * matches the block's and that the checkpoint root matches `expectedRoot`.
 */
export async function buildExitPayload(init: {
  rpc: RpcSender
  txHash: string
  logIndex: number
  headerNumber: bigint
  start: number
  end: number
  expectedRoot: string
}): Promise<ExitPayloadInit> {
  const { rpc } = init
  const target = (await rpc.send('eth_getTransactionReceipt', [init.txHash])) as
    | (RpcReceipt & { blockNumber: string })
    | null
  if (!target) throw new RangeError(`no receipt for ${init.txHash}`)
  const blockNumber = BigInt(target.blockNumber)
  const block = await getBlock(rpc, blockNumber)
  const receipts = (await Promise.all(
    block.transactions.map((hash) => rpc.send('eth_getTransactionReceipt', [hash])),
  )) as RpcReceipt[]
  receipts.sort((a, b) => Number(BigInt(a.transactionIndex) - BigInt(b.transactionIndex)))
  const encoded = receipts.map(encodeReceipt)
  const trie = await buildReceiptTrie(encoded)
  if (trie.root !== block.receiptsRoot) {
    throw new RangeError(
      `rebuilt receipts root ${trie.root} differs from block ${blockNumber}'s ${block.receiptsRoot}`,
    )
  }
  const txIndex = Number(BigInt(target.transactionIndex))
  const receiptLogIndex = target.logs.findIndex((l) => Number(BigInt(l.logIndex ?? -1)) === init.logIndex)
  if (receiptLogIndex < 0) throw new RangeError(`log ${init.logIndex} is not in ${init.txHash}`)
  const headers = await fetchCheckpointHeaders(rpc, init.start, init.end)
  const tree = buildCheckpointTree(headers)
  if (tree.root !== init.expectedRoot) {
    throw new RangeError(`checkpoint ${init.headerNumber} root ${init.expectedRoot} is not ${tree.root}`)
  }
  return {
    headerNumber: init.headerNumber,
    blockProof: tree.proof(Number(blockNumber) - init.start),
    blockNumber,
    blockTime: BigInt(block.timestamp),
    txRoot: block.transactionsRoot,
    receiptRoot: block.receiptsRoot,
    receipt: encoded[txIndex]!,
    receiptProof: await trie.proof(txIndex),
    branchMask: concat(['0x00', receiptTrieKey(txIndex)]),
    receiptLogIndex: BigInt(receiptLogIndex),
  }
}

/** RLP-encodes the exit payload. */
export function encodeExitPayload(p: ExitPayloadInit): string {
  return encodeRlp([
    rlpUint(p.headerNumber),
    p.blockProof,
    rlpUint(p.blockNumber),
    rlpUint(p.blockTime),
    p.txRoot,
    p.receiptRoot,
    p.receipt,
    encodeProofNodes(p.receiptProof),
    p.branchMask,
    rlpUint(p.receiptLogIndex),
  ])
}
