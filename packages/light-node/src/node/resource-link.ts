/**
 * Keeps a light node linked to its resource nodes. The meta service forgets a light node whose
 * connection drops (and everything when it restarts), so when a lost resource node is back the node is
 * told, once it is reachable again, and re-announces what it holds.
 */
import type { Libp2p, PeerId } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'

/** Options of {@link watchResourceNodes}. */
export interface ResourceLinkInit {
  /** The configured resource node multiaddrs (with `/p2p/<peer id>`); others are ignored. */
  resourceNodes: readonly string[]
  /** True when this node has an address other browsers can dial (a relay reservation). */
  reachable(): boolean
  /** Called when a lost resource node is connected again and this node is reachable. */
  onRestored(peerId: string): void
  /** First redial after a loss, doubled per failure up to `maxRetryMs`; default 500 ms. */
  minRetryMs?: number
  /** Default 10 s. */
  maxRetryMs?: number
  /** Time allowed for one redial; default 5 s. */
  dialTimeoutMs?: number
  /** How long to wait for a relay reservation after reconnecting before giving up; default 30 s. */
  reachableTimeoutMs?: number
}

/** See {@link watchResourceNodes}. */
export interface ResourceLink {
  /** Stops redialling and watching. */
  stop(): void
}

function peerIdOf(addr: string): string | undefined {
  return multiaddr(addr)
    .getComponents()
    .findLast((c) => c.name === 'p2p')?.value
}

/**
 * Watches the connections to the configured resource nodes: one that drops is redialled with backoff
 * while the node runs, and when it is connected again `onRestored` is called as soon as this node is
 * reachable (its relay reservation renewed), so it can re-announce its slices.
 *
 * @example
 * ```ts
 * watchResourceNodes(libp2p, {
 *   resourceNodes,
 *   reachable: () => relayAddresses().length > 0,
 *   onRestored: () => void index.announce(held, { replace: true }),
 * })
 * ```
 */
export function watchResourceNodes(libp2p: Libp2p, init: ResourceLinkInit): ResourceLink {
  const minRetry = init.minRetryMs ?? 500
  const maxRetry = init.maxRetryMs ?? 10_000
  const dialTimeout = init.dialTimeoutMs ?? 5000
  const reachableTimeout = init.reachableTimeoutMs ?? 30_000
  const addrs = new Map<string, string[]>()
  for (const a of init.resourceNodes) {
    const id = peerIdOf(a)
    if (id) addrs.set(id, [...(addrs.get(id) ?? []), a])
  }
  const lost = new Set<string>()
  const redialling = new Set<string>()
  let stopped = false
  const running = () => !stopped && libp2p.status === 'started'
  const connected = (id: string) =>
    libp2p.getConnections().some((c) => c.remotePeer.toString() === id && c.status === 'open')
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

  async function redial(id: string): Promise<void> {
    if (redialling.has(id)) return
    redialling.add(id)
    try {
      let wait = minRetry
      while (running() && lost.has(id) && !connected(id)) {
        await sleep(wait)
        if (!running() || !lost.has(id) || connected(id)) break
        for (const a of addrs.get(id) ?? []) {
          try {
            await libp2p.dial(multiaddr(a), { signal: AbortSignal.timeout(dialTimeout) })
            break
          } catch {
            // Not back yet.
          }
        }
        wait = Math.min(maxRetry, wait * 2)
      }
    } finally {
      redialling.delete(id)
    }
  }

  async function whenReachable(id: string): Promise<void> {
    const deadline = Date.now() + reachableTimeout
    while (running() && !init.reachable()) {
      if (Date.now() > deadline) return
      await sleep(100)
    }
    if (running() && connected(id)) init.onRestored(id)
  }

  const onDisconnect = (e: CustomEvent<PeerId>) => {
    const id = e.detail.toString()
    if (!addrs.has(id) || !running()) return
    lost.add(id)
    void redial(id)
  }
  const onConnection = (e: CustomEvent<{ remotePeer: PeerId }>) => {
    const id = e.detail.remotePeer.toString()
    if (!lost.delete(id)) return
    void whenReachable(id)
  }
  libp2p.addEventListener('peer:disconnect', onDisconnect)
  libp2p.addEventListener('connection:open', onConnection)
  return {
    stop() {
      stopped = true
      libp2p.removeEventListener('peer:disconnect', onDisconnect)
      libp2p.removeEventListener('connection:open', onConnection)
    },
  }
}
