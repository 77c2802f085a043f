/** What the page needs to know about the local network, and how its light node is started from it. */
import type { LightNodeOptions } from '@stratos-edge/light-node'

/** What the page needs to know about the local network; `npm start` serves it as /config.json. */
export interface PortalConfig {
  /** WebSocket multiaddrs (with /p2p/<id>) of resource nodes. */
  resourceNodes: string[]
  /** HTTP gateway of the first resource node. */
  gatewayUrl?: string
  /** The network id upload tickets are signed for, when the resource nodes ask for tickets. */
  network?: number
  /**
   * The Polygon chain rewards are paid on. Its RPC lets the node read its STOS balance and claim with
   * its own key; `TrafficRewards` itself is named by the meta service, so the address here is only shown.
   */
  polygon?: { rpcUrl: string; chainId?: number; addresses?: { trafficRewards?: string } }
}

export async function loadConfig(): Promise<PortalConfig> {
  const response = await fetch('/config.json', { cache: 'no-store' })
  if (!response.ok) throw new Error(`No /config.json (${response.status}): start the portal with npm start`)
  return (await response.json()) as PortalConfig
}

/**
 * The light node's options for `config`: the resource nodes, the gateway, the network id and the
 * Polygon RPC, each only when the config has it.
 *
 * @example
 * ```ts
 * nodeOptionsOf({ resourceNodes: [ws], network: 31337, polygon: { rpcUrl: 'http://127.0.0.1:8546' } })
 * // { resourceNodes: [ws], network: 31337, polygonRpc: 'http://127.0.0.1:8546' }
 * ```
 */
export function nodeOptionsOf(config: PortalConfig): LightNodeOptions {
  return {
    resourceNodes: config.resourceNodes,
    ...(config.gatewayUrl ? { gatewayUrl: config.gatewayUrl } : {}),
    ...(config.network !== undefined ? { network: config.network } : {}),
    ...(config.polygon?.rpcUrl ? { polygonRpc: config.polygon.rpcUrl } : {}),
  }
}
