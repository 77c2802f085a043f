/** A plain libp2p node over WebSockets for Node tests (dials any address, loopback included). */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import type { Libp2p, PrivateKey } from '@libp2p/interface'
import { webSockets } from '@libp2p/websockets'
import { createLibp2p } from 'libp2p'

/** Starts a node listening on `listen` (none: dial only), with `privateKey` when given. */
export async function createWsLibp2p(
  options: { privateKey?: PrivateKey; listen?: string[] } = {},
): Promise<Libp2p> {
  return (await createLibp2p({
    ...(options.privateKey ? { privateKey: options.privateKey } : {}),
    addresses: { listen: options.listen ?? [] },
    transports: [webSockets()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: { denyDialMultiaddr: () => false },
  })) as unknown as Libp2p
}
