import {
  encodeNodeOwnerBinding,
  type KeyPair,
  privateKeySigner,
  signNodeOwnerBinding,
} from '@stratos-edge/core'
import type { RegisterNodeOwnerResult } from '@stratos-edge/protocol'
import type { Logger } from '../logger.js'

/** Options of {@link createOwnerBindingRegistrar}. */
export interface OwnerBindingRegistrarInit {
  /** The network id the meta service settles (from its TRAFFIC_STATUS). */
  readonly network: number
  /** The operator's wallet key (`0x` hex): the owner this node's traffic key is bound to. */
  readonly operatorKey: string
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
 * const registrar = createOwnerBindingRegistrar({ network, operatorKey }, { nodeKey, register, logger })
 * await registrar.registerDue()
 * ```
 */
export function createOwnerBindingRegistrar(
  init: OwnerBindingRegistrarInit,
  c: OwnerBindingRegistrarComponents,
): OwnerBindingRegistrar {
  let state: OwnerBindingState = 'pending'
  let binding: Uint8Array | undefined
  return {
    get state() {
      return state
    },
    async registerDue() {
      if (state !== 'pending') return
      binding ??= encodeNodeOwnerBinding(
        await signNodeOwnerBinding(
          { network: init.network },
          { owner: privateKeySigner(init.operatorKey), node: privateKeySigner(c.nodeKey.privateKey) },
        ),
      )
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
