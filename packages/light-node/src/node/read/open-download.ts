/**
 * A read: resolve the manifest, then download its slices (verified, cached, in order) from the providers,
 * reporting progress to the page as it goes.
 */
import type { DownloadProgress, LightNodeOptions } from '../../api-types.js'
import type { IdbSliceStore } from '../../store/idb-slice-store.js'
import type { ReadableDownload } from '../file-reads.js'
import type { NetworkIndex } from '../network-index.js'
import type { Providers } from '../providers.js'
import type { DownloadTraffic } from '../traffic/download-traffic.js'
import { orElse } from '../until-aborted.js'
import { resolveManifest } from './resolve-manifest.js'
import { SliceDownload } from './slice-download.js'

/** Options of {@link createDownloads}. */
export type DownloadsInit = Pick<LightNodeOptions, 'parallelism'> & {
  /** See `SliceDownloadInit.hedgeDelayMs`. */
  hedgeDelayMs?: number
  /**
   * How long the reader's end may wait for the final receipts to be signed and kept in the node's
   * outbox (a local write; without an outbox, acknowledged by the providers); default 250 ms. A tab
   * closed as soon as the file is saved then pays its providers on the node's next start.
   */
  finalReceiptWaitMs?: number
}

/** Edges of {@link createDownloads}. */
export interface DownloadsComponents {
  store: IdbSliceStore
  index?: NetworkIndex | undefined
  providers: Providers
  onFetched?(hash: string, bytes: number, peerId: string): void
  onDropped?(peerId: string, reason: string): void
  onProgress?(progress: DownloadProgress): void
  /** With a network id: the download's ticket and receipts. */
  traffic?: DownloadTraffic | undefined
  /**
   * A download could not get a ticket (heard while it runs): it goes on without receipts, and providers
   * refuse it past their grace.
   */
  onTicketError?(err: unknown): void
  /** Milliseconds now; default `performance.now`. */
  now?: () => number
}

/** Opens downloads. */
export interface Downloads {
  /**
   * Resolves `ref` (a file hash or `sdm://` URI) and starts downloading; read it with `next()`. `onProgress`
   * hears this download's progress only.
   */
  open(
    ref: string,
    signal: AbortSignal,
    onProgress?: (progress: DownloadProgress) => void,
  ): Promise<ReadableDownload>
}

/**
 * Creates the node's downloads.
 *
 * @example
 * ```ts
 * const downloads = createDownloads({}, { store, index, providers, onProgress: (p) => console.log(p.bytes) })
 * const read = await downloads.open(uri, signal)
 * for (let b = await read.next(); b; b = await read.next()) sink.write(b)
 * ```
 */
export function createDownloads(init: DownloadsInit, components: DownloadsComponents): Downloads {
  const { store, index, providers } = components
  const now = components.now ?? (() => performance.now())
  return {
    async open(ref, signal, onProgress) {
      const manifest = await resolveManifest(ref, signal, { store, ...(index ? { index } : {}) })
      signal.throwIfAborted()
      // The ticket is asked for while the first slices already flow (see pending-receipts.ts).
      // Cancelling the read (not only its signal) abandons a ticket not yet needed.
      const cancelled = new AbortController()
      const stopped = AbortSignal.any([signal, cancelled.signal])
      const receipts = components.traffic?.begin(manifest, stopped)
      receipts?.ready.catch((err) => {
        if (!stopped.aborted) components.onTicketError?.(err)
      })
      const started = now()
      let bytes = 0
      const report = (delta: number, source: DownloadProgress['source'], peerId?: string) => {
        bytes += delta
        const seconds = (now() - started) / 1000
        const progress: DownloadProgress = {
          ref,
          fileHash: manifest.fileHash,
          bytes,
          totalBytes: manifest.size,
          ...(manifest.name ? { name: manifest.name } : {}),
          ...(manifest.mimeType ? { mimeType: manifest.mimeType } : {}),
          bytesPerSecond: seconds > 0 ? Math.round(bytes / seconds) : 0,
          source,
          ...(peerId ? { peerId } : {}),
        }
        components.onProgress?.(progress)
        // A page's handler that throws (or a port that closed) must not stop the download.
        if (onProgress)
          void Promise.resolve(progress)
            .then(onProgress)
            .catch(() => {})
      }
      const download = new SliceDownload({
        manifest,
        store,
        signal,
        parallelism: init.parallelism ?? 4,
        ...(init.hedgeDelayMs !== undefined ? { hedgeDelayMs: init.hedgeDelayMs } : {}),
        providers: (hashes, s) => providers.lookup(hashes, s),
        connect: (p, s, failed) => providers.connect(p, s, failed),
        onLocal: (_hash, n) => report(n, 'local'),
        onFetched: (hash, n, provider) => {
          receipts?.verified(provider, hash, n)
          components.onFetched?.(hash, n, provider.peerId)
          report(n, provider.kind, provider.peerId)
        },
        onDropped: (peerId, reason) => components.onDropped?.(peerId, reason),
        onComplete: (hashes) => void index?.announce(hashes).catch(() => {}),
        ...(receipts ? { onReceiptsOverdue: (p, s) => receipts.flush(p, s) } : {}),
      })
      download.start()
      if (!receipts) return download
      // The last receipts go out once, also on cancel or failure (bounded: a provider gone away is given
      // 10 s; a send never rejects). The reader hears the end once they are kept in the outbox (no round
      // trip) or after `finalReceiptWaitMs`, whichever comes first. Only when neither happened in time
      // (no ticket yet) is the last signing interval (4 slices or 16 MiB) lost if the node stops then.
      let finishing: Promise<void> | undefined
      const finish = () => {
        finishing ??= receipts.finish(AbortSignal.timeout(10_000)).catch(() => {})
        return finishing
      }
      const finalWait = init.finalReceiptWaitMs ?? 250
      return {
        next: async () => {
          try {
            const bytes = await download.next()
            if (bytes === undefined)
              await orElse(finish(), AbortSignal.timeout(finalWait), undefined).catch(() => {})
            return bytes
          } catch (err) {
            // A failed download still signs for what it got.
            void finish()
            throw err
          }
        },
        cancel: () => {
          cancelled.abort()
          download.cancel()
          void finish()
        },
      }
    },
  }
}
