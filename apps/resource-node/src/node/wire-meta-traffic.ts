import type { FileHash } from '@stratos-edge/core'
import type { Logger } from '../logger.js'
import { createMetaTraffic, type MetaTraffic } from '../meta/meta-traffic.js'
import type { DiskSliceStore } from '../store/disk-slice-store.js'
import { loadOrCreateMetaKey } from './meta-key.js'
import type { NodeTickets } from './node-tickets.js'
import type { ResourceNodeInit } from './resource-node-init.js'
import { loadOrCreateNodeEvmKey } from './traffic-key.js'

/** Edges of {@link wireMetaTraffic}. */
export interface WireMetaTrafficComponents {
  tickets: NodeTickets | undefined
  store: Pick<DiskSliceStore, 'getManifest'>
  logger: Logger
  /** The manifest the meta service resolves a bare file hash to (the service is made after this). */
  resolveManifest(fileHash: FileHash): Promise<Uint8Array | undefined> | undefined
}

/**
 * The meta service's Proof of Traffic, when the node runs with `meta`, `tickets` and `traffic`
 * (undefined otherwise). With `providerTraffic`, this node's own gateway self-reports are taken too.
 *
 * @example
 * ```ts
 * const metaTraffic = await wireMetaTraffic(init, { tickets, store, logger, resolveManifest })
 * ```
 */
export async function wireMetaTraffic(
  init: ResourceNodeInit,
  components: WireMetaTrafficComponents,
): Promise<MetaTraffic | undefined> {
  const { tickets, store, logger } = components
  if (!(init.traffic && init.meta && init.tickets && tickets?.store)) return undefined
  return createMetaTraffic(
    {
      ...init.traffic,
      network: init.tickets.network,
      freeOzone: init.tickets.freeOzone ?? 0n,
      // This node's own gateway self-reports are taken, besides the ones listed.
      ...(init.providerTraffic
        ? {
            selfReporters: [
              ...(init.traffic.selfReporters ?? []),
              (await loadOrCreateNodeEvmKey(init.dataDir)).evmAddress,
            ],
          }
        : {}),
    },
    {
      dataDir: init.dataDir,
      key: await loadOrCreateMetaKey(init.dataDir),
      ledger: tickets.store,
      manifest: async (fileHash, owner): Promise<Uint8Array | undefined> =>
        owner === undefined ? components.resolveManifest(fileHash) : store.getManifest(fileHash, owner),
      logger,
    },
  )
}
