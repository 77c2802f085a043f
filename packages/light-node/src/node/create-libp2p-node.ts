import type { Libp2p, PrivateKey } from '@libp2p/interface'

/** Options of {@link createLibp2pNode}. */
export interface Libp2pNodeInit {
  /** ICE servers for browser-to-browser WebRTC; default none. */
  iceServers?: RTCIceServer[]
  /** The node's identity; default a new one. */
  privateKey?: PrivateKey
}

/**
 * Largest message on a WebRTC data channel. libp2p's default, 16 KiB, suits go- and rust-libp2p, which
 * browsers never reach over private-to-private WebRTC; a js-libp2p receiver reads messages of up to
 * 4 MiB and Chromium's up to 256 KiB. A quarter of the messages costs the renderers less CPU per MB:
 * 5 alternating bench runs each (`npm run bench -- browser`), renderers 79–96 vs 86–100 ms/MB,
 * browser-to-browser 11.9–14.7 vs 12.1–14.0 MB/s.
 */
const WEBRTC_MESSAGE_BYTES = 64 * 1024

/**
 * Creates the light node's libp2p: WebSockets to resource nodes, WebRTC to browsers with circuit relay
 * for signalling, noise + yamux on WebSockets. Loaded with dynamic imports so the RTC stand-in is in
 * place before `@libp2p/webrtc` reads the globals.
 */
export async function createLibp2pNode(init: Libp2pNodeInit = {}): Promise<Libp2p> {
  const [
    { createLibp2p },
    { webSockets },
    { webRTC },
    { circuitRelayTransport },
    { noise },
    { yamux },
    { identify },
  ] = await Promise.all([
    import('libp2p'),
    import('@libp2p/websockets'),
    import('@libp2p/webrtc'),
    import('@libp2p/circuit-relay-v2'),
    import('@chainsafe/libp2p-noise'),
    import('@chainsafe/libp2p-yamux'),
    import('@libp2p/identify'),
  ])
  const node = await createLibp2p({
    ...(init.privateKey ? { privateKey: init.privateKey } : {}),
    addresses: { listen: ['/p2p-circuit', '/webrtc'] },
    transports: [
      webSockets(),
      webRTC({
        rtcConfiguration: { iceServers: init.iceServers ?? [] },
        dataChannel: { maxMessageSize: WEBRTC_MESSAGE_BYTES },
      }),
      circuitRelayTransport(),
    ],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: {
      // Resource nodes and browsers sit on private addresses in local deployments and tests.
      denyDialMultiaddr: () => false,
    },
    services: { identify: identify() },
  })
  return node as unknown as Libp2p
}
