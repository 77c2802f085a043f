/**
 * The page's light node and what the views show about it: whether the network is reachable (said
 * honestly: a running worker with no resource node connected is "offline", not "running"), the latest
 * stat, traffic per peer since the page opened, and a reconnect.
 */
import {
  createLightNode,
  type LightNode,
  type LightNodeOptions,
  type LightNodeStat,
} from '@stratos-edge/light-node'
import { plainError } from './error-text.ts'

/** Where the node stands, as the status banner tells it. */
export type NetworkStatus =
  | { state: 'starting' }
  | { state: 'online'; resourceNodes: number }
  | { state: 'offline'; reason: string }

/** Bytes exchanged with one peer since the page opened. */
export interface PeerTraffic {
  servedBytes: number
  fetchedBytes: number
}

/** Options of {@link createNodeSession}. */
export interface NodeSessionInit {
  node: LightNodeOptions
  /** Stat poll period; default 2 s. */
  pollMs?: number
}

/** The peer id at the end of each `/p2p/<id>` multiaddr. */
export function peerIdsOf(multiaddrs: string[]): string[] {
  return multiaddrs.map((m) => /\/p2p\/([^/]+)$/.exec(m)?.[1]).filter((id): id is string => id !== undefined)
}

/**
 * Starts the node and keeps its status; listeners of `change` re-render.
 *
 * @example
 * ```ts
 * const session = createNodeSession({ node: { resourceNodes } })
 * session.addEventListener('change', () => console.log(session.status))
 * await session.start()
 * ```
 */
export function createNodeSession(init: NodeSessionInit) {
  const events = new EventTarget()
  const resourcePeers = peerIdsOf(init.node.resourceNodes)
  const traffic = new Map<string, PeerTraffic>()
  let node: LightNode | undefined
  let stat: LightNodeStat | undefined
  let status: NetworkStatus = { state: 'starting' }
  let timer: ReturnType<typeof setInterval> | undefined
  let generation = 0
  const changed = () => events.dispatchEvent(new Event('change'))
  const setStatus = (next: NetworkStatus) => {
    status = next
    changed()
  }
  const peerTraffic = (peerId: string) => {
    const known = traffic.get(peerId)
    if (known) return known
    const fresh = { servedBytes: 0, fetchedBytes: 0 }
    traffic.set(peerId, fresh)
    return fresh
  }

  async function poll(current: LightNode, gen: number): Promise<void> {
    try {
      const next = await current.stat()
      if (gen !== generation) return
      stat = next
      const connected = new Set(next.connections.map((c) => c.peerId))
      const reachable = resourcePeers.filter((id) => connected.has(id)).length
      setStatus(
        reachable > 0
          ? { state: 'online', resourceNodes: reachable }
          : {
              state: 'offline',
              reason:
                'No resource node is connected: the network is unreachable. Uploads and downloads will fail until it is back.',
            },
      )
    } catch (err) {
      if (gen === generation) setStatus({ state: 'offline', reason: plainError(err, 'start') })
    }
  }

  async function start(): Promise<void> {
    const gen = ++generation
    setStatus({ state: 'starting' })
    try {
      const started = await createLightNode({ readyTimeoutMs: 10_000, ...init.node })
      if (gen !== generation) return void started.stop().catch(() => {})
      node = started
      started.addEventListener('slice:served', (e) => {
        peerTraffic(e.detail.peerId).servedBytes += e.detail.bytes
      })
      started.addEventListener('slice:fetched', (e) => {
        peerTraffic(e.detail.peerId).fetchedBytes += e.detail.bytes
      })
      await poll(started, gen)
      timer = setInterval(() => void poll(started, gen), init.pollMs ?? 2000)
    } catch (err) {
      if (gen === generation) setStatus({ state: 'offline', reason: plainError(err, 'start') })
    }
  }

  return {
    events,
    addEventListener: events.addEventListener.bind(events),
    removeEventListener: events.removeEventListener.bind(events),
    /** The node, once started (undefined while starting or after a failed start). */
    get node(): LightNode | undefined {
      return node
    },
    get stat(): LightNodeStat | undefined {
      return stat
    },
    get status(): NetworkStatus {
      return status
    },
    get online(): boolean {
      return status.state === 'online'
    },
    resourcePeers,
    traffic,
    start,
    /** Stops the node (if any) and starts it again. */
    async reconnect(): Promise<void> {
      clearInterval(timer)
      const old = node
      node = undefined
      generation++
      await old?.stop().catch(() => {})
      await start()
    },
    /** Re-reads the stat now (after an upload, a budget change). */
    async refresh(): Promise<void> {
      if (node) await poll(node, generation)
    },
  }
}

export type NodeSession = ReturnType<typeof createNodeSession>
