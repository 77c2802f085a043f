/**
 * Choosing and reaching the peers a download fetches slices from: the index's providers per slice
 * (browsers first, then resource nodes, then whoever is connected), and one shared dial per peer that
 * each caller can leave on its own signal. Browsers that could not be reached are remembered for a while
 * and skipped, so the next download does not pay for the same failing WebRTC dial.
 */
import type { Connection, Libp2p } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import { isLibp2pAddress } from '@stratos-edge/protocol'
import { connectionKind } from './connection-kind.js'
import { dialWithRetry } from './dial-with-retry.js'
import type { NetworkIndex, ProviderInfo } from './network-index.js'
import { orElse, untilAborted } from './until-aborted.js'

/** Options of {@link createProviders}. */
export interface ProvidersInit {
  /** How long a browser that could not be reached is skipped; default 2 minutes. */
  unreachableForMs?: number
  /** Dial attempts to a browser (about one WebRTC dial in ten stalls; a retry succeeds); default 3. */
  lightDialAttempts?: number
  /**
   * Time allowed for one dial attempt to a browser; default 1.5 s (a healthy one takes 0.1–0.6 s here:
   * a stalled one is retried soon, before a download races the browser against a resource node).
   */
  lightAttemptTimeoutMs?: number
  /** Dial attempts to a resource node; default 4. */
  resourceDialAttempts?: number
  /** Time allowed for one dial attempt to a resource node; default 5 s. */
  resourceAttemptTimeoutMs?: number
  /** Most browsers remembered as unreachable; the oldest is forgotten first. Default 1024. */
  maxUnreachable?: number
}

/** Edges of {@link createProviders}. */
export interface ProvidersComponents {
  libp2p: Pick<Libp2p, 'dial' | 'getConnections' | 'peerId'>
  index?: NetworkIndex | undefined
  /** Milliseconds now; default `Date.now`. */
  now?: () => number
}

/** What downloads use to find and reach providers. */
export interface Providers {
  /** Providers per slice: browsers first (less those remembered as unreachable), then resource nodes. */
  lookup(hashes: readonly string[], signal: AbortSignal): Promise<Map<string, ProviderInfo[]>>
  /**
   * A connection for slice traffic: direct WebRTC to a browser, WebSockets to a resource node. Callers
   * asking for the same peer at once share one dial; a caller whose `signal` aborts stops waiting
   * without stopping the dial for the others (the dial stops once every caller left). `failed` is a
   * connection that could not open a stream: it alone is closed first (others to the peer, such as a
   * resource node's connection carrying the relay reservation, stay), unless `signal` already aborted.
   */
  connect(provider: ProviderInfo, signal: AbortSignal, failed?: Connection): Promise<Connection>
  /** Whether `peerId` is remembered as unreachable now. */
  isUnreachable(peerId: string): boolean
}

interface SharedDial {
  readonly pending: Promise<Connection>
  readonly controller: AbortController
  callers: number
}

/**
 * Creates the provider choice and dialling for one node.
 *
 * @example
 * ```ts
 * const providers = createProviders({}, { libp2p, index })
 * const found = await providers.lookup(hashes, signal)
 * const conn = await providers.connect(found.get(hashes[0])![0]!, signal)
 * ```
 */
export function createProviders(init: ProvidersInit, components: ProvidersComponents): Providers {
  const { libp2p, index } = components
  const now = components.now ?? Date.now
  const unreachableForMs = init.unreachableForMs ?? 120_000
  const maxUnreachable = init.maxUnreachable ?? 1024
  /** Browsers that could not be reached, with the time until which they are skipped. */
  const unreachable = new Map<string, number>()
  const dials = new Map<string, SharedDial>()

  const isUnreachable = (peerId: string): boolean => {
    const until = unreachable.get(peerId)
    if (until === undefined) return false
    if (until > now()) return true
    unreachable.delete(peerId)
    return false
  }

  const markUnreachable = (peerId: string): void => {
    unreachable.delete(peerId)
    unreachable.set(peerId, now() + unreachableForMs)
    if (unreachable.size > maxUnreachable) unreachable.delete(unreachable.keys().next().value as string)
  }

  const directConnection = (provider: ProviderInfo): Connection | undefined =>
    libp2p
      .getConnections()
      .find(
        (c) =>
          c.remotePeer.toString() === provider.peerId &&
          c.status === 'open' &&
          c.limits === undefined &&
          (provider.kind === 'resource' || connectionKind(c) === 'webrtc'),
      )

  const startDial = (provider: ProviderInfo): SharedDial => {
    const light = provider.kind === 'light'
    const addrs = light
      ? provider.multiaddrs.filter((a) => a.includes('/webrtc')).map((a) => multiaddr(a))
      : provider.multiaddrs.filter(isLibp2pAddress).map((a) => multiaddr(a))
    const controller = new AbortController()
    const pending = dialWithRetry(libp2p, addrs, {
      signal: controller.signal,
      attempts: light ? (init.lightDialAttempts ?? 3) : (init.resourceDialAttempts ?? 4),
      attemptTimeoutMs: light
        ? (init.lightAttemptTimeoutMs ?? 1500)
        : (init.resourceAttemptTimeoutMs ?? 5000),
    })
    const dial: SharedDial = { pending, controller, callers: 0 }
    dials.set(provider.peerId, dial)
    pending.then(
      () => {
        if (light) unreachable.delete(provider.peerId)
      },
      () => {
        // A dial every caller left says nothing about the peer.
        if (light && !controller.signal.aborted) markUnreachable(provider.peerId)
      },
    )
    void pending
      .catch(() => {})
      .finally(() => {
        if (dials.get(provider.peerId) === dial) dials.delete(provider.peerId)
      })
    return dial
  }

  return {
    async lookup(hashes, signal) {
      // The lookup takes no signal and may wait 10 s per resource node: a cancelled download stops waiting.
      const found = (index ? await orElse(index.lookup(hashes), signal, undefined) : undefined) ?? new Map()
      // Without an answer (the meta service is unreachable): connected peers below.
      const self = libp2p.peerId.toString()
      const connected: ProviderInfo[] = []
      const seen = new Set<string>()
      for (const conn of libp2p.getConnections()) {
        const id = conn.remotePeer.toString()
        if (seen.has(id) || conn.status !== 'open') continue
        seen.add(id)
        const kind = connectionKind(conn)
        connected.push({
          peerId: id,
          multiaddrs: [conn.remoteAddr.toString()],
          kind: kind === 'websockets' ? 'resource' : 'light',
        })
      }
      const usable = (p: ProviderInfo) =>
        p.peerId !== self && !(p.kind === 'light' && isUnreachable(p.peerId))
      const result = new Map<string, ProviderInfo[]>()
      for (const hash of hashes) {
        const list = ((found.get(hash) ?? []) as ProviderInfo[]).filter(usable)
        const ids = new Set(list.map((p) => p.peerId))
        for (const c of connected) if (!ids.has(c.peerId) && c.kind === 'light' && usable(c)) list.push(c)
        for (const c of connected) if (!ids.has(c.peerId) && c.kind === 'resource') list.push(c)
        list.sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'light' ? -1 : 1))
        result.set(hash, list)
      }
      return result
    },

    async connect(provider, signal, failed) {
      signal.throwIfAborted()
      if (failed && failed.status === 'open') failed.abort(new Error('Stale connection'))
      const existing = directConnection(provider)
      if (existing) return existing
      const dial = dials.get(provider.peerId) ?? startDial(provider)
      dial.callers++
      try {
        return await untilAborted(dial.pending, signal)
      } finally {
        dial.callers--
        // The last caller to leave before the dial ends stops it, and forgets it at once: a caller that
        // comes next must not share a dial that is already aborted.
        if (dial.callers === 0 && signal.aborted) {
          if (dials.get(provider.peerId) === dial) dials.delete(provider.peerId)
          dial.controller.abort(signal.reason)
        }
      }
    },

    isUnreachable,
  }
}
