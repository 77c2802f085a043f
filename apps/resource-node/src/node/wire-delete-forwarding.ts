import type { Libp2p } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { createIndexClient, isLibp2pAddress, type ProviderRecord } from '@stratos-edge/protocol'
import { Gauge, type Registry } from 'prom-client'
import type { Logger } from '../logger.js'
import { createDeleteForwarder, type DeleteForwarder } from '../meta/delete-forwarder.js'
import { deleteOutboxPath } from '../meta/delete-outbox.js'

/** Edges of {@link wireDeleteForwarding}. */
export interface DeleteForwardingComponents {
  libp2p: Pick<Libp2p, 'peerId' | 'peerStore' | 'dialProtocol'>
  /** The registered resource nodes (the meta service's registry, read when a delete is sent). */
  resourceNodes(): ProviderRecord[]
  logger: Logger
}

/** A forwarded delete waits this long for a node's answer, ms. */
const SEND_TIMEOUT_MS = 10_000

/**
 * The meta node's delete forwarding: over the index protocol (DELETE_MANIFEST) to every registered
 * resource node but this one, owed deletes kept under `dataDir`.
 *
 * @example
 * ```ts
 * const deletes = wireDeleteForwarding(dataDir, { libp2p, resourceNodes: () => meta.registeredResourceNodes(), logger })
 * ```
 */
export function wireDeleteForwarding(
  dataDir: string,
  components: DeleteForwardingComponents,
): DeleteForwarder {
  const { libp2p } = components
  const self = libp2p.peerId.toString()
  return createDeleteForwarder(
    { path: deleteOutboxPath(dataDir) },
    {
      logger: components.logger,
      targets: () => components.resourceNodes().filter((p) => p.peerId !== self),
      async send(target, request, signal) {
        const peer = peerIdFromString(target.peerId)
        const dialable = target.multiaddrs.filter(isLibp2pAddress)
        if (dialable.length > 0)
          await libp2p.peerStore.merge(peer, { multiaddrs: dialable.map((a) => multiaddr(a)) })
        await createIndexClient(libp2p, peer).deleteManifest(request, { timeout: SEND_TIMEOUT_MS, signal })
      },
    },
  )
}

/**
 * The forwarder's state in `/metrics`: node × delete pairs owed (`stratos_edge_meta_deletes_owed`) and
 * deletes given up since the start, by `reason`: `count` (over `maxDeletes`), `retention` (too old),
 * `refused` (a node refused one for good) (`stratos_edge_meta_deletes_given_up_total`).
 *
 * @example
 * ```ts
 * registerDeleteForwardingMetrics(metrics.registry, deletes)
 * ```
 */
export function registerDeleteForwardingMetrics(
  registry: Registry,
  forwarder: Pick<DeleteForwarder, 'owed' | 'counters'>,
): void {
  new Gauge({
    name: 'stratos_edge_meta_deletes_owed',
    help: 'Node x delete pairs the meta service still owes (forwarded deletes not acknowledged yet)',
    registers: [registry],
    collect() {
      this.set(forwarder.owed())
    },
  })
  new Gauge({
    name: 'stratos_edge_meta_deletes_given_up_total',
    help: 'Forwarded deletes given up since the start, by reason (count, retention, refused)',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      const c = forwarder.counters
      this.set({ reason: 'count' }, c.droppedOverCount)
      this.set({ reason: 'retention' }, c.droppedExpired)
      this.set({ reason: 'refused' }, c.refused)
    },
  })
}
