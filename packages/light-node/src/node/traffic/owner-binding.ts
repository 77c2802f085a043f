/**
 * The light node's side of the self-dealing rule: binds this node's key to its owner's wallet (core's
 * `NodeOwnerBinding`, signed by the page's wallet and countersigned by the node key) and registers it with
 * the meta service (REGISTER_NODE_OWNER). A wallet once bound is remembered in the store, so a reload
 * does not ask the wallet to sign again. See docs/proof-of-traffic.md, "Node owners".
 */
import {
  encodeNodeOwnerBinding,
  type KeyPair,
  privateKeySigner,
  signNodeOwnerBinding,
  type TypedDataSigner,
  toEvmAddress,
} from '@stratos-edge/core'
import type { RegisterNodeOwnerResult } from '@stratos-edge/protocol'
import type { BindOwnerResult } from '../../api-types.js'
import { OwnerBindingRefusedError, TrafficUnavailableError } from '../../errors.js'
import type { StoreSettings } from '../../store/setting-list.js'
import { untilAborted } from '../until-aborted.js'

/**
 * The store setting that lists the wallets a node key is bound to (lower-case, comma-separated); named
 * after the key, so a new key is not taken for bound.
 */
const boundOwnersSetting = (node: string) => `bound-owners:${node.toLowerCase()}`

/** Options of {@link createOwnerBinding}. */
export interface OwnerBindingInit {
  /** The network id (the binding's EIP-712 domain); without it nothing can be bound. */
  network?: number | undefined
}

/** Edges of {@link createOwnerBinding}. */
export interface OwnerBindingComponents {
  /** The node key: what this node's receipts name as provider or downloader. */
  nodeKey: KeyPair
  /** The meta service's REGISTER_NODE_OWNER, when the index speaks it. */
  register?: ((binding: Uint8Array) => Promise<RegisterNodeOwnerResult>) | undefined
  /** Where the bound wallets are remembered (the store's small private settings). */
  settings: StoreSettings
}

/** Binds the node to its owners' wallets. */
export interface OwnerBinding {
  /**
   * Binds the node to `owner`'s wallet: asks it to sign unless this node remembers it bound. Throws
   * `OwnerBindingRefusedError` when the meta service refuses it, the wallet's typed errors when it does
   * not sign, `TrafficUnavailableError` without a network id or a meta service.
   */
  bind(owner: TypedDataSigner): Promise<BindOwnerResult>
  /**
   * {@link bind} after an upload: best effort, never throwing, and done waiting at `signal` or after
   * {@link OWNER_BINDING_WAIT_MS} on a prompt the user leaves open (the upload is finished already).
   */
  bindAfterUpload(owner: TypedDataSigner, signal: AbortSignal): Promise<void>
  /** The wallets this node is bound to, as remembered. */
  bound(): Promise<string[]>
}

/** How long a finished `put` waits for the wallet to sign the binding it asks for. */
export const OWNER_BINDING_WAIT_MS = 60_000

/**
 * Creates the owner binding of a node.
 *
 * @example
 * ```ts
 * const binding = createOwnerBinding({ network: 137 }, { nodeKey, register: (b) => index.registerNodeOwner(b), settings: store })
 * await binding.bind(wallet) // { owner: '0x…', node: '0x…', outcome: 'accepted' }
 * ```
 */
export function createOwnerBinding(init: OwnerBindingInit, components: OwnerBindingComponents): OwnerBinding {
  const { nodeKey, register, settings } = components
  const setting = boundOwnersSetting(nodeKey.evmAddress)
  const bound = async (): Promise<string[]> => {
    const raw = await settings.getSetting(setting)
    return raw ? new TextDecoder().decode(raw).split(',').filter(Boolean) : []
  }
  const remember = async (owner: string) => {
    const known = await bound()
    if (known.includes(owner)) return
    await settings.setSetting(setting, new TextEncoder().encode([...known, owner].join(',')))
  }
  // One bind at a time: two calls for one wallet ask it once.
  let queue: Promise<unknown> = Promise.resolve()
  const bindNow = async (signer: TypedDataSigner): Promise<BindOwnerResult> => {
    const owner = toEvmAddress(signer.address)
    const node = nodeKey.evmAddress
    const key = owner.toLowerCase()
    if ((await bound()).includes(key)) return { owner, node, outcome: 'remembered' }
    if (init.network === undefined || !register)
      throw new TrafficUnavailableError(
        'This light node cannot bind an owner: it has no network id or no meta service',
        'Start the node with `network` and a resource node running the meta service',
      )
    if (key === node.toLowerCase())
      throw new OwnerBindingRefusedError('A node cannot be its own owner', 'Bind the node to another wallet')
    const binding = await signNodeOwnerBinding(
      { network: init.network },
      { owner: signer, node: privateKeySigner(nodeKey.privateKey) },
    )
    const answer = await register(encodeNodeOwnerBinding(binding))
    if (answer.outcome === 'rejected')
      throw new OwnerBindingRefusedError(
        `The meta service refused to bind ${node} to ${owner} (${answer.reason ?? 'no reason given'})`,
        answer.reason === 'too-many-owners'
          ? 'This node has the most owners it may have; use it with a wallet bound already'
          : 'Check that the node and the meta service are on the same network, then bind again',
      )
    await remember(key)
    return { owner, node, outcome: answer.outcome }
  }
  const bind = (signer: TypedDataSigner): Promise<BindOwnerResult> => {
    const next = queue.then(() => bindNow(signer))
    queue = next.catch(() => {})
    return next
  }
  return {
    bind,
    async bindAfterUpload(signer, signal) {
      const stop = AbortSignal.any([signal, AbortSignal.timeout(OWNER_BINDING_WAIT_MS)])
      await untilAborted(bind(signer), stop).catch(() => {})
    },
    bound,
  }
}
