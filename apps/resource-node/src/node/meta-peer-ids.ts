/**
 * The peer ids a resource node takes as its meta service's, for deletes the meta service relays (older
 * than core's window: see `createManifestDeleter`'s `relayedBy`). They come from every bootstrap
 * address that names one (`/p2p/<id>` anywhere in it, not only last), and from the connection a bootstrap
 * address without one reached. The owner's signature is checked all the same.
 */
import type { Connection } from '@libp2p/interface'
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr'
import type { Logger } from '../logger.js'

/** The meta service's peer ids known to a resource node. */
export interface MetaPeerIds {
  /** The ids known now. */
  ids(): string[]
  /** A bootstrap address was dialed: the peer it reached is a meta service's. */
  reached(addr: string | Multiaddr, connection: Pick<Connection, 'remotePeer'>): void
  /** Warns when no id is known (relayed deletes older than core's window are refused until one is). */
  warnIfUnknown(): void
}

/** The `/p2p/<id>` an address names, if any (the last one: a relayed address names the relay first). */
export function peerIdOfAddress(addr: string | Multiaddr): string | undefined {
  try {
    const ids = multiaddr(addr.toString())
      .getComponents()
      .filter((c) => c.name === 'p2p' && c.value !== undefined)
    return ids.at(-1)?.value
  } catch {
    return undefined
  }
}

/**
 * Collects the meta service's peer ids from `bootstrap`.
 *
 * @example
 * ```ts
 * const metaPeers = createMetaPeerIds(init.bootstrap ?? [], logger)
 * libp2p.dial(multiaddr(addr)).then((conn) => metaPeers.reached(addr, conn))
 * ```
 */
export function createMetaPeerIds(bootstrap: readonly string[], logger: Logger): MetaPeerIds {
  const known = new Set<string>()
  for (const addr of bootstrap) {
    const id = peerIdOfAddress(addr)
    if (id) known.add(id)
  }
  return {
    ids: () => [...known],
    reached(addr, connection) {
      if (!bootstrap.includes(addr.toString())) return // not a bootstrap address (or this is the meta)
      if (peerIdOfAddress(addr)) return // named already
      const id = connection.remotePeer.toString()
      if (known.has(id)) return
      known.add(id)
      logger.info('meta service peer id learned from its connection', { addr: addr.toString(), peer: id })
    },
    warnIfUnknown() {
      if (known.size > 0 || bootstrap.length === 0) return
      logger.warn(
        'meta service peer id unknown (no /p2p/ in the bootstrap addresses): relayed deletes older than 5 minutes are refused until it connects',
        { bootstrap },
      )
    },
  }
}
