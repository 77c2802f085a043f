import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { identify } from '@libp2p/identify'
import type { Connection, Libp2p } from '@libp2p/interface'
import { webRTC } from '@libp2p/webrtc'
import { webSockets } from '@libp2p/websockets'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'

/** A Node.js libp2p peer that can reach browsers over /p2p-circuit/webrtc (node-datachannel). */
export async function createNodePeer(): Promise<Libp2p> {
  return (await createLibp2p({
    transports: [webSockets(), webRTC({ rtcConfiguration: { iceServers: [] } }), circuitRelayTransport()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: { denyDialMultiaddr: () => false },
    services: { identify: identify() },
  })) as unknown as Libp2p
}

/** Dials with a per-attempt timeout, retrying (about one WebRTC dial in ten stalls). */
export async function dialRetry(node: Libp2p, addr: string, attempts = 4): Promise<Connection> {
  let last: unknown
  for (let i = 0; i < attempts; i++) {
    try {
      return await node.dial(multiaddr(addr), { signal: AbortSignal.timeout(8000) })
    } catch (err) {
      last = err
      await new Promise((r) => setTimeout(r, 300 * 2 ** i))
    }
  }
  throw last
}
