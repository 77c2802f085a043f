import {
  defineErrorClass,
  encodeNodeOwnerBinding,
  fromHex,
  type KeyPair,
  nodeOwnerBindingTypedData,
  privateKeySigner,
  signatureToBytes,
  signNodeOwnerBinding,
} from '@stratos-edge/core'
import type { RegisterNodeOwnerResult } from '@stratos-edge/protocol'
import type { Logger } from '../logger.js'
import type { OwnerSignedBinding } from './operator-binding-file.js'

/**
 * Who vouches for the node: the owner's half signed offline (`--operator-binding-file`, preferred), or
 * the operator's wallet key on this server (`--operator-key-file`, for local demos).
 */
export type OperatorOwner =
  | { readonly signed: OwnerSignedBinding; readonly key?: undefined }
  | { readonly key: string; readonly signed?: undefined }

/** The operator binding names another network than the meta service settles: sign one for that network. */
export class OperatorBindingNetworkError extends defineErrorClass('OperatorBindingNetworkError') {}

/** Options of {@link createOwnerBindingRegistrar}. */
export interface OwnerBindingRegistrarInit {
  /** The network id the meta service settles (from its TRAFFIC_STATUS). */
  readonly network: number
  /** The owner this node's traffic key is bound to. */
  readonly operator: OperatorOwner
}

/** The edges of {@link createOwnerBindingRegistrar}. */
export interface OwnerBindingRegistrarComponents {
  /** The node's traffic key: the address its receipts name. */
  readonly nodeKey: KeyPair
  /** REGISTER_NODE_OWNER at the meta service. */
  readonly register: (binding: Uint8Array) => Promise<RegisterNodeOwnerResult>
  readonly logger: Logger
}

/** Where the node's binding stands: not yet kept, kept by the meta service, or refused (with the rule). */
export type OwnerBindingState = 'pending' | 'kept' | `rejected:${string}`

/** Registers a node's binding to its operator once; see {@link createOwnerBindingRegistrar}. */
export interface OwnerBindingRegistrar {
  /** Sends the binding unless the meta service kept or refused it already; a failed send is retried next call. */
  registerDue(): Promise<void>
  readonly state: OwnerBindingState
}

/**
 * The resource node's side of the self-dealing rule: its traffic key and its operator's wallet sign a
 * node-owner binding, sent to the meta service until it is kept. From then on the meta service refuses
 * receipts between this node and any other node of the same operator (or the operator's own wallet).
 *
 * @example
 * ```ts
 * const registrar = createOwnerBindingRegistrar({ network, operator: { signed } }, { nodeKey, register, logger })
 * await registrar.registerDue()
 * ```
 */
export function createOwnerBindingRegistrar(
  init: OwnerBindingRegistrarInit,
  c: OwnerBindingRegistrarComponents,
): OwnerBindingRegistrar {
  let state: OwnerBindingState = 'pending'
  let binding: Uint8Array | undefined

  async function sign(): Promise<Uint8Array> {
    const { signed, key } = init.operator
    const node = privateKeySigner(c.nodeKey.privateKey)
    if (key !== undefined)
      return encodeNodeOwnerBinding(
        await signNodeOwnerBinding({ network: init.network }, { owner: privateKeySigner(key), node }),
      )
    if (signed.network !== init.network)
      throw new OperatorBindingNetworkError(
        `operator binding is for network ${signed.network}, the meta service settles ${init.network}`,
      )
    const nodeSignature = signatureToBytes(await node.signTypedData(nodeOwnerBindingTypedData(signed)))
    return encodeNodeOwnerBinding({
      ...signed,
      ownerSignature: fromHex(signed.ownerSignature),
      nodeSignature,
    })
  }
  return {
    get state() {
      return state
    },
    async registerDue() {
      if (state !== 'pending') return
      if (!binding) {
        try {
          binding = await sign()
        } catch (error) {
          // A bad key, the node's own key or another network fails alike every round: stop, say so once.
          const wrongNetwork = (error as Error).name === 'OperatorBindingNetworkError'
          state = wrongNetwork ? 'rejected:wrong-network' : 'rejected:unsignable'
          c.logger.warn('traffic: node-owner binding cannot be signed', {
            node: c.nodeKey.evmAddress,
            state,
            error,
          })
          return
        }
      }
      try {
        const result = await c.register(binding)
        state = result.outcome === 'rejected' ? `rejected:${result.reason ?? 'unknown'}` : 'kept'
        const log = state === 'kept' ? c.logger.info : c.logger.warn
        log('traffic: node-owner binding', { node: c.nodeKey.evmAddress, state })
      } catch (error) {
        c.logger.debug('traffic: node-owner binding not sent, will retry', { error })
      }
    },
  }
}
