import {
  decodeNodeOwnerBinding,
  type NodeOwnerBinding,
  nodeOwnerBindingSigned,
  toEvmAddress,
} from '@stratos-edge/core'
import type { RegisterNodeOwnerResult } from '@stratos-edge/protocol'
import type { NodeOwnerBook } from './node-owner-book.js'

/** How far ahead of the meta service's clock a binding may be dated, seconds. */
const MAX_CLOCK_SKEW_S = 300

/**
 * Why a node-owner binding was refused:
 * - `malformed`: it does not decode;
 * - `wrong-network`: signed for another network id than the meta service's;
 * - `self-owned`: the node names itself as its owner (binds nothing);
 * - `future`: dated more than five minutes ahead;
 * - `forged`: the owner's signature is not the owner's, or the node's is not the node's;
 * - `too-many-owners`: the node has as many owners as the meta service keeps (16 by default).
 */
export type NodeOwnerRejectReason =
  | 'malformed'
  | 'wrong-network'
  | 'self-owned'
  | 'future'
  | 'forged'
  | 'too-many-owners'

/** The stateless rules of a binding, cheapest first; undefined when it may be kept. */
export function checkNodeOwnerBinding(
  binding: NodeOwnerBinding,
  ctx: { readonly network: number; readonly nowSeconds: number },
): NodeOwnerRejectReason | undefined {
  if (binding.network !== ctx.network) return 'wrong-network'
  if (toEvmAddress(binding.node) === toEvmAddress(binding.owner)) return 'self-owned'
  if (binding.issuedAt > ctx.nowSeconds + MAX_CLOCK_SKEW_S) return 'future'
  if (!nodeOwnerBindingSigned(binding)) return 'forged'
  return undefined
}

/**
 * The meta service's REGISTER_NODE_OWNER hook: decodes a wire binding, checks it and keeps it.
 *
 * @example
 * ```ts
 * const result = registerEncodedNodeOwner(book, bytes, { network: 137, nowSeconds })
 * ```
 */
export function registerEncodedNodeOwner(
  book: Pick<NodeOwnerBook, 'keep'>,
  bytes: Uint8Array,
  ctx: { readonly network: number; readonly nowSeconds: number },
): RegisterNodeOwnerResult {
  let binding: NodeOwnerBinding
  try {
    binding = decodeNodeOwnerBinding(bytes)
  } catch {
    return { outcome: 'rejected', reason: 'malformed' satisfies NodeOwnerRejectReason }
  }
  const reason = checkNodeOwnerBinding(binding, ctx)
  if (reason) return { outcome: 'rejected', reason }
  const outcome = book.keep(binding)
  return outcome === 'too-many-owners' ? { outcome: 'rejected', reason: outcome } : { outcome }
}
