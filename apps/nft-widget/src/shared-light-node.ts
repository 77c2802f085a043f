/**
 * The page's light node, started on first use and shared by every uploader on the page. Its code (libp2p,
 * the worker) is a separate chunk: a page that never uploads never loads it.
 */
import type { LightNode, LightNodeOptions } from '@stratos-edge/light-node'
import { NetworkUnavailableError, WidgetConfigError } from './errors.js'

/** What the uploader needs of a light node: `put`. A host may hand in its own node. */
export type UploaderNode = Pick<LightNode, 'put'>

/** Loads the light node's module (a dynamic import, so it is its own chunk). */
export type LightNodeLoader = () => Promise<{
  createLightNode(options: LightNodeOptions): Promise<LightNode>
}>

let loader: LightNodeLoader = () => import('@stratos-edge/light-node')
const nodes = new Map<string, Promise<LightNode>>()

/**
 * Replaces how the light node's code is loaded (the `<script>` build loads it from a file beside itself).
 */
export function setLightNodeLoader(load: LightNodeLoader): void {
  loader = load
}

/** Errors after which a node is of no more use: the next upload starts a new one. */
const DEAD_NODE_ERRORS = new Set(['WorkerLostError', 'NodeStoppedError'])

/** The node, with a call that fails because the node is dead making `forget` drop and stop it. */
function forgetWhenDead(node: LightNode, forget: () => void): LightNode {
  const watch = <T>(call: Promise<T>): Promise<T> =>
    call.catch((err: unknown) => {
      if (DEAD_NODE_ERRORS.has((err as Error | undefined)?.name ?? '')) {
        forget()
        void node.stop().catch(() => {})
      }
      throw err
    })
  return {
    get peerId() {
      return node.peerId
    },
    put: (file, options) => watch(node.put(file, options)),
    get: (ref, options) => node.get(ref, options),
    stat: () => watch(node.stat()),
    contribute: (c) => watch(node.contribute(c)),
    drop: (fileHash, options) => watch(node.drop(fileHash, options)),
    files: () => watch(node.files()),
    withdraw: (fileHash, options) => watch(node.withdraw(fileHash, options)),
    traffic: () => watch(node.traffic()),
    claim: (options) => watch(node.claim(options)),
    claimPlan: () => watch(node.claimPlan()),
    bindOwner: (options) => watch(node.bindOwner(options)),
    addEventListener: (type, listener) => node.addEventListener(type, listener),
    removeEventListener: (type, listener) => node.removeEventListener(type, listener),
    stop: () => node.stop(),
  }
}

/**
 * The shared light node for these options: started once per distinct set of resource nodes, gateway and
 * store, then reused. A start that failed is forgotten, so the next upload tries again, and so is a node
 * whose call failed with `WorkerLostError` or `NodeStoppedError` (it is stopped).
 */
export function sharedLightNode(options: LightNodeOptions): Promise<LightNode> {
  if (options.resourceNodes.length === 0)
    return Promise.reject(
      new WidgetConfigError(
        'The uploader has no storage network to upload to',
        'The page must set the resource-nodes attribute',
      ),
    )
  const key = JSON.stringify([
    options.resourceNodes,
    options.gatewayUrl ?? '',
    options.storeName ?? '',
    options.network ?? null,
  ])
  let node = nodes.get(key)
  if (!node) {
    const forget = () => {
      if (nodes.get(key) === node) nodes.delete(key)
    }
    node = loader()
      .then(({ createLightNode }) => createLightNode(options))
      .then((started) => forgetWhenDead(started, forget))
      .catch((err: unknown) => {
        nodes.delete(key)
        throw new NetworkUnavailableError(
          'Could not connect to the storage network',
          'Check your connection and try again',
          { cause: err },
        )
      })
    nodes.set(key, node)
  }
  return node
}

/** How many distinct light nodes this page started (one per configuration). */
export function sharedLightNodeCount(): number {
  return nodes.size
}
