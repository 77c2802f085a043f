/**
 * Binding the light node to the visitor's wallet (the node's `bindOwner`): once bound, the meta service
 * pays nothing for traffic between this node and the wallet's other nodes, or the wallet itself
 * (self-dealing). The wallet signs once; the node remembers it, so a later connect does not ask again.
 */

/** Result of the node's `bindOwner`, as the portal reads it. */
export interface BindOwnerOutcome {
  owner: string
  outcome: 'accepted' | 'duplicate' | 'remembered'
}

/** The node's owner-binding API. */
export interface BindOwnerApi {
  bindOwner(options: { signer: unknown }): Promise<BindOwnerOutcome>
}

/** The node's owner-binding API when it has one; undefined on a node from before it. */
export function bindOwnerApiOf(node: object | undefined): BindOwnerApi | undefined {
  if (!node || !('bindOwner' in node)) return undefined
  return typeof (node as Partial<BindOwnerApi>).bindOwner === 'function' ? (node as BindOwnerApi) : undefined
}

/**
 * Binds the node to the wallet `signer` (an EIP-1193 provider) and says so in a sentence.
 *
 * @example
 * ```ts
 * const api = bindOwnerApiOf(session.node)
 * if (api && wallet.signer) status = await bindWallet(api, wallet.signer)
 * ```
 */
export async function bindWallet(api: BindOwnerApi, signer: unknown): Promise<string> {
  const { outcome } = await api.bindOwner({ signer })
  return outcome === 'accepted'
    ? 'Your wallet now owns this node: traffic between your own nodes and wallet earns nothing.'
    : 'Your wallet already owns this node: traffic between your own nodes and wallet earns nothing.'
}
