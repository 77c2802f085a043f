/** The light node's downloads wired to its events and counters (`slice:fetched`, `provider:dropped`, …). */
import type { LightNodeEvent, LightNodeStat } from '../../api-types.js'
import type { Providers } from '../providers.js'
import type { Runtime, RuntimeInit } from '../runtime.js'
import type { DownloadTraffic } from '../traffic/download-traffic.js'
import { createDownloads, type Downloads } from './open-download.js'

/** Creates the node's downloads; `fetched` is counted in place for `stat()`. */
export function createNodeDownloads(
  init: RuntimeInit & { hedgeDelayMs?: number | undefined },
  components: {
    runtime: Runtime
    providers: Providers
    traffic: DownloadTraffic | undefined
    fetched: { -readonly [K in keyof LightNodeStat['fetched']]: number }
    emit(event: LightNodeEvent): void
  },
): Downloads {
  const { runtime, providers, traffic, fetched, emit } = components
  const { hedgeDelayMs, ...rest } = init
  return createDownloads(
    { ...rest, ...(hedgeDelayMs !== undefined ? { hedgeDelayMs } : {}) },
    {
      store: runtime.store,
      index: runtime.index,
      providers,
      traffic,
      onTicketError: (err) =>
        emit({
          type: 'traffic:ticket-error',
          detail: { reason: `${(err as Error)?.name ?? 'Error'}: ${(err as Error)?.message ?? err}` },
        }),
      onFetched: (hash, bytes, peerId) => {
        fetched.slices++
        fetched.bytes += bytes
        emit({ type: 'slice:fetched', detail: { hash, bytes, peerId } })
      },
      onDropped: (peerId, reason) => {
        fetched.badProviders++
        emit({ type: 'provider:dropped', detail: { peerId, reason } })
      },
      onProgress: (detail) => emit({ type: 'download:progress', detail }),
    },
  )
}
