import type { IndexRequestContext, RegisterNodeOwnerResult } from '@stratos-edge/protocol'
import { RateLimitedError } from '@stratos-edge/protocol'
import { type BucketRate, createRateLimit } from '../gateway/rate-limit.js'
import type { Logger } from '../logger.js'
import { type NodeOwnerBook, openNodeOwnerBook } from '../traffic/node-owner-book.js'
import { registerEncodedNodeOwner } from '../traffic/node-owner-rules.js'
import type { OwnerOf } from '../traffic/receipt-rules.js'

/** Default per-peer limit on REGISTER_NODE_OWNER: a burst of 20, then one every 5 s. */
export const DEFAULT_NODE_OWNER_RATE: Readonly<BucketRate> = { perSecond: 0.2, burst: 20 }

/** Options of {@link createMetaNodeOwners}. */
export interface MetaNodeOwnersInit {
  /** The network id bindings must be signed for. */
  network: number
  /** REGISTER_NODE_OWNER requests each peer may send (default {@link DEFAULT_NODE_OWNER_RATE}); `false`: no limit. */
  rate?: BucketRate | false
  /** Most owners one node may be bound to (default 16). */
  maxOwnersPerNode?: number
}

/** The edges of {@link createMetaNodeOwners}. */
export interface MetaNodeOwnersComponents {
  /** The meta node's data directory: `node-owners.sqlite` goes there. */
  dataDir: string
  now: () => number
  logger: Logger
}

/** The meta service's node-owner bindings: the wire hook, and the owners the receipt rules read. */
export interface MetaNodeOwners {
  readonly book: NodeOwnerBook
  /** Every owner a node address was bound to: the settlement's self-dealing rule. */
  readonly ownerOf: OwnerOf
  /** REGISTER_NODE_OWNER: checks and keeps a binding; `RateLimitedError` past the peer's rate. */
  registerNodeOwner(binding: Uint8Array, context: IndexRequestContext): Promise<RegisterNodeOwnerResult>
  close(): void
}

/**
 * Opens the node-owner book in the data directory and answers REGISTER_NODE_OWNER with it. A peer id is
 * free to make, so the rate limit slows a flood of fresh bindings without stopping it; each costs its
 * sender two signatures and its node one of 16 owner slots.
 *
 * @example
 * ```ts
 * const owners = createMetaNodeOwners({ network: 137 }, { dataDir, now: Date.now, logger })
 * createTrafficSettlement(init, { ...components, ownerOf: owners.ownerOf })
 * ```
 */
export function createMetaNodeOwners(
  init: MetaNodeOwnersInit,
  components: MetaNodeOwnersComponents,
): MetaNodeOwners {
  const { now, logger } = components
  const book = openNodeOwnerBook({
    dataDir: components.dataDir,
    ...(init.maxOwnersPerNode !== undefined ? { maxOwnersPerNode: init.maxOwnersPerNode } : {}),
  })
  const rate =
    init.rate === false
      ? undefined
      : createRateLimit({ requests: init.rate ?? DEFAULT_NODE_OWNER_RATE }, { now })
  return {
    book,
    ownerOf: (account) => book.owners(account),
    async registerNodeOwner(binding, context) {
      const waitMs = rate?.take(context.peer.toString()) ?? 0
      if (waitMs > 0)
        throw new RateLimitedError(`Too many node-owner bindings from ${context.peer}`, Math.ceil(waitMs))
      const result = registerEncodedNodeOwner(book, binding, {
        network: init.network,
        nowSeconds: Math.floor(now() / 1000),
      })
      logger.debug('node-owner binding', { peer: context.peer.toString(), ...result })
      return result
    },
    close: () => book.close(),
  }
}
