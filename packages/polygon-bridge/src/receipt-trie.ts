import {
  concat,
  decodeRlp,
  encodeRlp,
  getBytes,
  hexlify,
  keccak256,
  type RlpStructuredData,
  toBeHex,
} from 'ethers'

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

type TrieNode =
  | { kind: 'leaf'; path: number[]; value: string }
  | { kind: 'extension'; path: number[]; child: TrieNode }
  | { kind: 'branch'; children: (TrieNode | undefined)[]; value: string | undefined }

interface Entry {
  nibbles: number[]
  value: string
}

function toNibbles(hex: string): number[] {
  return [...getBytes(hex)].flatMap((b) => [b >> 4, b & 15])
}

function hexPrefix(path: number[], leaf: boolean): string {
  const flag = leaf ? 2 : 0
  const nibbles = path.length % 2 === 1 ? [flag + 1, ...path] : [flag, 0, ...path]
  const bytes = new Uint8Array(nibbles.length / 2)
  for (let i = 0; i < bytes.length; i++) bytes[i] = (nibbles[2 * i]! << 4) | nibbles[2 * i + 1]!
  return hexlify(bytes)
}

function build(entries: Entry[], depth: number): TrieNode {
  if (entries.length === 1) {
    const only = entries[0]!
    return { kind: 'leaf', path: only.nibbles.slice(depth), value: only.value }
  }
  let common = 0
  const first = entries[0]!.nibbles
  while (
    depth + common < first.length &&
    entries.every(
      (e) => e.nibbles.length > depth + common && e.nibbles[depth + common] === first[depth + common],
    )
  ) {
    common++
  }
  if (common > 0) {
    return {
      kind: 'extension',
      path: first.slice(depth, depth + common),
      child: build(entries, depth + common),
    }
  }
  const children: (TrieNode | undefined)[] = []
  for (let nibble = 0; nibble < 16; nibble++) {
    const group = entries.filter((e) => e.nibbles.length > depth && e.nibbles[depth] === nibble)
    children.push(group.length > 0 ? build(group, depth + 1) : undefined)
  }
  const here = entries.find((e) => e.nibbles.length === depth)
  return { kind: 'branch', children, value: here?.value }
}

function structure(node: TrieNode): RlpStructuredData {
  if (node.kind === 'leaf') return [hexPrefix(node.path, true), node.value]
  if (node.kind === 'extension') return [hexPrefix(node.path, false), reference(node.child)]
  return [...node.children.map((c) => (c ? reference(c) : '0x')), node.value ?? '0x']
}

/** A child is embedded when its encoding is shorter than 32 bytes, else referenced by its hash. */
function reference(node: TrieNode): RlpStructuredData {
  const s = structure(node)
  const encoded = encodeRlp(s)
  return getBytes(encoded).length < 32 ? s : keccak256(encoded)
}

/** A Merkle-Patricia trie of a block's receipts. */
export interface ReceiptTrie {
  root: string
  /** The hashed nodes from the root to the receipt at `index`, each RLP-encoded (as `eth_getProof` gives). */
  proof(index: number): string[]
}

/** Builds the receipts trie of a block from its encoded receipts (in transaction order). */
export function buildReceiptTrie(encodedReceipts: readonly string[]): ReceiptTrie {
  if (encodedReceipts.length === 0) throw new RangeError('a receipts trie needs at least one receipt')
  const root = build(
    encodedReceipts.map((value, i) => ({ nibbles: toNibbles(receiptTrieKey(i)), value })),
    0,
  )
  return {
    root: keccak256(encodeRlp(structure(root))),
    proof(index) {
      const key = toNibbles(receiptTrieKey(index))
      const nodes: string[] = [encodeRlp(structure(root))]
      let node = root
      let depth = 0
      for (;;) {
        let next: TrieNode | undefined
        if (node.kind === 'leaf') break
        if (node.kind === 'extension') {
          depth += node.path.length
          next = node.child
        } else {
          next = node.children[key[depth]!]
          depth += 1
        }
        if (!next) throw new RangeError(`no receipt ${index} in the trie`)
        const encoded = encodeRlp(structure(next))
        if (getBytes(encoded).length >= 32) nodes.push(encoded)
        node = next
      }
      return nodes
    },
  }
}

/** `rlp(list of nodes)` as Polygon's exit payload carries a receipt proof. */
export function encodeProofNodes(nodes: readonly string[]): string {
  return encodeRlp(nodes.map((n) => decodeRlp(n)))
}
