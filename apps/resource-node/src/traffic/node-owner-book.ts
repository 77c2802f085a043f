import {
  decodeNodeOwnerBinding,
  type EvmAddress,
  encodeNodeOwnerBinding,
  type NodeOwnerBinding,
  toEvmAddress,
} from '@stratos-edge/core'
import { SettlementStoreClosedError } from './errors.js'
import { openTrafficDatabase } from './traffic-database.js'

/** File name of the node-owner bindings inside the meta node's data directory. */
export const NODE_OWNERS_FILE = 'node-owners.sqlite'

/** Default most owners one node address may be bound to. */
export const DEFAULT_MAX_OWNERS_PER_NODE = 16

const NODE_OWNER_MIGRATIONS: readonly string[] = [
  // 1: one row per (node, owner), kept for good, with the binding both signed.
  `CREATE TABLE node_owners (
     node TEXT NOT NULL,
     owner TEXT NOT NULL,
     issued_at INTEGER NOT NULL,
     binding BLOB NOT NULL,
     PRIMARY KEY (node, owner)
   ) WITHOUT ROWID;`,
]

/** What the book made of a binding. */
export type NodeOwnerKeepOutcome = 'accepted' | 'duplicate' | 'too-many-owners'

/** Options of {@link openNodeOwnerBook}. */
export interface NodeOwnerBookInit {
  /** The meta node's data directory; the book is `<dataDir>/node-owners.sqlite`. */
  dataDir: string
  /** Most owners one node may have (default {@link DEFAULT_MAX_OWNERS_PER_NODE}). */
  maxOwnersPerNode?: number
}

/**
 * The meta service's durable record of who owns which node address: bindings signed by both (checked
 * before they get here). Append-only: a node cannot disown an owner to dodge the self-dealing rule.
 * Reads are synchronous so the receipt rules can ask per receipt.
 */
export interface NodeOwnerBook {
  /** Keeps a checked binding: `duplicate` when the pair is kept already. */
  keep(binding: NodeOwnerBinding): NodeOwnerKeepOutcome
  /** Every owner `account` was ever bound to (empty when none). */
  owners(account: EvmAddress): EvmAddress[]
  /** The kept bindings of `account`, as signed. */
  bindings(account: EvmAddress): NodeOwnerBinding[]
  close(): void
}

/**
 * Opens (creating and migrating as needed) the node-owner book in `node:sqlite`, WAL with full syncs.
 *
 * @example
 * ```ts
 * const book = openNodeOwnerBook({ dataDir: './data' })
 * book.owners('0x…') // []
 * ```
 */
export function openNodeOwnerBook(init: NodeOwnerBookInit): NodeOwnerBook {
  const db = openTrafficDatabase(init.dataDir, NODE_OWNERS_FILE, NODE_OWNER_MIGRATIONS)
  const maxOwners = init.maxOwnersPerNode ?? DEFAULT_MAX_OWNERS_PER_NODE
  let closed = false
  const q = {
    has: db.prepare('SELECT 1 AS x FROM node_owners WHERE node = ? AND owner = ?'),
    count: db.prepare('SELECT COUNT(*) AS n FROM node_owners WHERE node = ?'),
    add: db.prepare('INSERT INTO node_owners (node, owner, issued_at, binding) VALUES (?, ?, ?, ?)'),
    owners: db.prepare('SELECT owner FROM node_owners WHERE node = ? ORDER BY owner'),
    bindings: db.prepare('SELECT binding FROM node_owners WHERE node = ? ORDER BY owner'),
  }
  function open(): void {
    if (closed) throw new SettlementStoreClosedError('The node-owner book is closed')
  }
  return {
    keep(binding) {
      open()
      const node = toEvmAddress(binding.node)
      const owner = toEvmAddress(binding.owner)
      if (q.has.get(node, owner)) return 'duplicate'
      if (Number((q.count.get(node) as { n: number }).n) >= maxOwners) return 'too-many-owners'
      q.add.run(node, owner, binding.issuedAt, encodeNodeOwnerBinding(binding))
      return 'accepted'
    },
    owners(account) {
      open()
      return (q.owners.all(account) as { owner: string }[]).map((r) => r.owner as EvmAddress)
    },
    bindings(account) {
      open()
      return (q.bindings.all(account) as { binding: Uint8Array }[]).map((r) =>
        decodeNodeOwnerBinding(new Uint8Array(r.binding)),
      )
    },
    close() {
      if (closed) return
      closed = true
      db.close()
    },
  }
}
