/** What the page needs to know about the local network; `npm start` serves it as /config.json. */
export interface PortalConfig {
  /** WebSocket multiaddrs (with /p2p/<id>) of resource nodes. */
  resourceNodes: string[]
  /** HTTP gateway of the first resource node. */
  gatewayUrl?: string
  /** The network id upload tickets are signed for, when the resource nodes ask for tickets. */
  network?: number
}

export async function loadConfig(): Promise<PortalConfig> {
  const response = await fetch('/config.json', { cache: 'no-store' })
  if (!response.ok) throw new Error(`No /config.json (${response.status}): start the portal with npm start`)
  return (await response.json()) as PortalConfig
}
