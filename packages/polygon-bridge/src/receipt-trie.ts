import { createMerkleProof, createMPT } from '@ethereumjs/mpt'
import { concat, decodeRlp, encodeRlp, getBytes, hexlify, toBeHex } from 'ethers'

/** A JSON-RPC receipt as `eth_getTransactionReceipt`/`eth_getBlockReceipts` return it. */
export interface RpcReceipt {
  type?: string
  status?: string
  cumulativeGasUsed: string
  logsBloom: string
  transactionIndex: string
  logs: { address: string; topics: string[]; data: string; logIndex?: string }[]
}

/** RLP of an unsigned integer: minimal big-endian bytes, 0 as the empty string. */
export function rlpUint(value: bigint | number | string): string {
  const n = BigInt(value)
  return n === 0n ? '0x' : toBeHex(n)
}

/** The consensus encoding of a receipt, as stored in the receipts trie (typed receipts keep their type byte). */
export function encodeReceipt(receipt: RpcReceipt): string {
  const body = encodeRlp([
    rlpUint(receipt.status ?? '0x1'),
    rlpUint(receipt.cumulativeGasUsed),
    receipt.logsBloom,
    receipt.logs.map((l) => [l.address, l.topics, l.data]),
  ])
  const type = Number(receipt.type ?? '0x0')
  return type === 0 ? body : concat([toBeHex(type, 1), body])
}

/** The receipts-trie key of the transaction at `index`: rlp(index). */
export function receiptTrieKey(index: number): string {
  return encodeRlp(rlpUint(index))
}

/** A Merkle-Patricia trie of a block's receipts. */
export interface ReceiptTrie {
  root: string
  /** The hashed nodes from the root to the receipt at `index`, each RLP-encoded (as `eth_getProof` gives). */
  proof(index: number): Promise<string[]>
}

/**
 * Builds the receipts trie of a block from its encoded receipts (in transaction order), with
 * `@ethereumjs/mpt` (the maintained successor of `@ethereumjs/trie`). Keys are rlp(index), unhashed.
 */
export async function buildReceiptTrie(encodedReceipts: readonly string[]): Promise<ReceiptTrie> {
  if (encodedReceipts.length === 0) throw new RangeError('a receipts trie needs at least one receipt')
  const trie = await createMPT()
  for (const [i, value] of encodedReceipts.entries()) {
    await trie.put(getBytes(receiptTrieKey(i)), getBytes(value))
  }
  return {
    root: hexlify(trie.root()),
    async proof(index) {
      const key = getBytes(receiptTrieKey(index))
      if ((await trie.get(key)) === null) throw new RangeError(`no receipt ${index} in the trie`)
      const nodes = await createMerkleProof(trie, key)
      // Polygon's MerklePatriciaProof checks each listed node against its parent's hash, so nodes under 32
      // bytes (embedded in their parent, never hashed) are left out; the root is always listed.
      return nodes.filter((n, i) => i === 0 || n.length >= 32).map((n) => hexlify(n))
    },
  }
}

/** `rlp(list of nodes)` as Polygon's exit payload carries a receipt proof. */
export function encodeProofNodes(nodes: readonly string[]): string {
  return encodeRlp(nodes.map((n) => decodeRlp(n)))
}
