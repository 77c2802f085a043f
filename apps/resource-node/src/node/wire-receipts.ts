import type { Libp2p } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import { createIndexClient } from '@stratos-edge/protocol'
import type { Logger } from '../logger.js'
import type { MetaService } from '../meta/meta-service.js'
import type { MetaAccess } from './meta-access.js'
import { type ReceiptExchange, startReceiptExchange } from './receipt-exchange.js'
import type { ResourceNodeInit } from './resource-node-init.js'

/** Edges of {@link wireReceipts}. */
export interface WireReceiptsComponents {
  libp2p: Libp2p
  logger: Logger
  meta: Pick<MetaAccess, 'forwardTargets'>
  /** The in-process meta service, if the node runs it. */
  metaService: MetaService | undefined
  /** Otherwise, where the meta service is. */
  metaAddr: Multiaddr | undefined
  /** How this node appears to its in-process meta service. */
  selfObservedAddr: string
  /** The address this node's own meta service signs tickets with (on the meta node). */
  ownIssuer?: string | undefined
}

/**
 * With a network id (`tickets`), browsers that read from this node pay it with receipts like any
 * provider: starts the receipt exchange, submitting to the meta service in process or over the index
 * protocol. Undefined without tickets.
 *
 * @example
 * ```ts
 * const receipts = await wireReceipts(init, { libp2p, logger, meta, metaService, metaAddr, selfObservedAddr })
 * ```
 */
export async function wireReceipts(
  init: Pick<ResourceNodeInit, 'tickets' | 'dataDir'>,
  components: WireReceiptsComponents,
): Promise<ReceiptExchange | undefined> {
  if (!init.tickets) return undefined
  const { libp2p, logger, meta, metaService, metaAddr, selfObservedAddr } = components
  const self = { peer: libp2p.peerId, remoteAddr: selfObservedAddr }
  return startReceiptExchange(
    {
      network: init.tickets.network,
      dataDir: init.dataDir,
      // Tickets this node accepts: those of the listed issuers and, on the meta node, its own.
      issuers: [...(init.tickets.issuers ?? []), ...(components.ownIssuer ? [components.ownIssuer] : [])],
    },
    {
      libp2p,
      logger,
      submit: (batch) =>
        metaService
          ? Promise.resolve(
              metaService.submitReceipts(batch, {
                peer: libp2p.peerId,
                remoteAddr: selfObservedAddr,
              }),
            )
          : createIndexClient(libp2p, metaAddr ?? libp2p.peerId).submitReceipts(batch, {
              timeout: 10_000,
            }),
      // The meta service answers the clock only when it settles traffic.
      settlesTraffic: async () => {
        if (metaService) await metaService.trafficStatus(undefined, self)
        else
          await createIndexClient(libp2p, metaAddr ?? libp2p.peerId).trafficStatus(undefined, {
            timeout: 10_000,
          })
        return true
      },
      exempt: async (peer) =>
        (await meta.forwardTargets([{ peerId: peer.toString(), multiaddrs: [] }])).length > 0,
    },
  )
}
