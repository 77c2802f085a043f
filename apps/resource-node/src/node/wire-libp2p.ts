import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { circuitRelayServer } from '@libp2p/circuit-relay-v2'
import { identify } from '@libp2p/identify'
import type { PrivateKey } from '@libp2p/interface'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { webSockets } from '@libp2p/websockets'
import { createLibp2p } from 'libp2p'
import type { ResourceNodeInit } from './resource-node-init.js'

/** Default ports (127.0.0.1). */
export const DEFAULT_TCP_PORT = 7401
export const DEFAULT_WS_PORT = 7402

/** `ip6` for an IPv6 listen host, else `ip4` (the multiaddr protocol of the node's listen addresses). */
export function ipProtocolOf(host: string): 'ip4' | 'ip6' {
  return host.includes(':') ? 'ip6' : 'ip4'
}

/**
 * Creates the resource node's libp2p (not started): TCP for nodes, WebSockets for browsers, noise,
 * yamux, identify, ping and a circuit-relay-v2 server, with connection limits sized for many browsers.
 *
 * @example
 * ```ts
 * const libp2p = await createNodeLibp2p({ dataDir, tcpPort: 0, wsPort: 0 }, { privateKey, host: '127.0.0.1' })
 * ```
 */
export function createNodeLibp2p(
  init: Pick<ResourceNodeInit, 'tcpPort' | 'wsPort' | 'announce' | 'maxRelayReservations'>,
  components: { privateKey: PrivateKey; host: string },
) {
  const { privateKey, host } = components
  const ip = ipProtocolOf(host)
  return createLibp2p({
    privateKey,
    start: false,
    addresses: {
      listen: [
        `/${ip}/${host}/tcp/${init.tcpPort ?? DEFAULT_TCP_PORT}`,
        `/${ip}/${host}/tcp/${init.wsPort ?? DEFAULT_WS_PORT}/ws`,
      ],
      ...(init.announce ? { appendAnnounce: init.announce } : {}),
    },
    transports: [tcp(), webSockets()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    // Many browsers share one address (NAT, one test namespace): libp2p's defaults (5 new connections
    // per second per host, 10 pending upgrades) would refuse them.
    connectionManager: {
      maxConnections: 4096,
      inboundConnectionThreshold: 200,
      maxIncomingPendingConnections: 256,
    },
    services: {
      identify: identify(),
      ping: ping(),
      relay: circuitRelayServer({
        reservations: {
          maxReservations: init.maxRelayReservations ?? 1024,
          reservationTtl: 2 * 60 * 60 * 1000,
        },
        maxInboundHopStreams: 4096,
        maxOutboundStopStreams: 4096,
      }),
    },
  })
}
