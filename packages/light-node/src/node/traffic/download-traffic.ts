/**
 * What a download does for Proof of Traffic when the node has a network id: a download ticket, asked
 * for while the first slices already flow, then receipts to every provider that served it (see
 * download-receipts.ts and pending-receipts.ts).
 */
import type { Connection } from '@libp2p/interface'
import type { EpochClock, KeyPair, Manifest } from '@stratos-edge/core'
import { sendReceipts } from '@stratos-edge/protocol'
import type { ProviderInfo } from '../network-index.js'
import { createDownloadReceipts, type DownloadReceipts, type Tally } from './download-receipts.js'
import { requestDownloadTicket } from './download-ticket.js'
import { type PendingReceipts, pendingReceipts } from './pending-receipts.js'
import type { ReceiptOutbox } from './receipt-outbox.js'
import type { TrafficIndex } from './traffic-index.js'

/** Options of {@link createDownloadTraffic}. */
export interface DownloadTrafficInit {
  network: number
  /** See `DownloadReceiptsInit.signEveryBytes`. */
  signEveryBytes?: number
  /** See `DownloadReceiptsInit.signEverySlices`. */
  signEverySlices?: number
}

/** Edges of {@link createDownloadTraffic}. */
export interface DownloadTrafficComponents {
  nodeKey: KeyPair
  index: Pick<TrafficIndex, 'requestDownloadTicket' | 'trafficStatus'>
  /** A connection to a provider (the one slices come over). */
  connect(provider: ProviderInfo, signal: AbortSignal): Promise<Connection>
  /** Keeps final receipts until acknowledged; none: a node stopped right after a download may lose them. */
  outbox?: ReceiptOutbox
}

/** Starts the receipts of each download. */
export interface DownloadTraffic {
  /**
   * The receipts of a download of the manifest's file, at once: its ticket is asked for in the
   * background (`ready` says when it arrived, or why not) and the receipts are signed from then on.
   * A download cancelled (`signal`) before any slice was verified asks for no ticket, or abandons the
   * request: an opened-then-closed video must not reserve the owner's ozone.
   */
  begin(manifest: Manifest, signal?: AbortSignal): PendingReceipts
  /**
   * Sends the final receipts an earlier run kept but never got acknowledged (one provider after the
   * other, each given 10 s); a receipt a provider answered, accepted or not, is dropped. Resolves with
   * how many were answered; never rejects.
   */
  resend(signal: AbortSignal): Promise<number>
}

/**
 * Creates the node's download traffic. The epoch clock is asked of the meta service once.
 *
 * @example
 * ```ts
 * const traffic = createDownloadTraffic({ network: 31337 }, { nodeKey, index, connect })
 * const receipts = traffic.begin(manifest)
 * receipts.ready.catch((err) => console.warn('no ticket: providers may refuse past their grace', err))
 * ```
 */
export function createDownloadTraffic(
  init: DownloadTrafficInit,
  components: DownloadTrafficComponents,
): DownloadTraffic {
  const addresses = new Map<string, string>()
  const tallies = new Map<string, Tally>()
  let clock: Promise<EpochClock> | undefined
  const send = async (
    provider: ProviderInfo,
    receipts: Uint8Array[],
    signal: AbortSignal,
    tickets: Uint8Array[] = [],
  ) => {
    const conn = await components.connect(provider, signal)
    const via = {
      dialProtocol: (_peer: unknown, protocol: string, o?: { signal?: AbortSignal }) =>
        conn.newStream(protocol, o),
    }
    return sendReceipts(via as never, conn.remotePeer, receipts, {
      signal,
      runOnLimitedConnection: true,
      tickets,
    })
  }
  // Stopped by the download's signal only until the first verified slice: a download aborted after
  // some slices still signs for them.
  const ticketed = async (manifest: Manifest, signal: AbortSignal): Promise<DownloadReceipts> => {
    signal.throwIfAborted()
    clock ??= components.index.trafficStatus().then((s) => ({ genesisMs: s.genesisMs, epochMs: s.epochMs }))
    clock.catch(() => {
      clock = undefined
    })
    const [{ ticket }, epochs] = await Promise.all([
      requestDownloadTicket(
        { network: init.network, fileHash: manifest.fileHash, owner: manifest.owner },
        components,
        signal,
      ),
      clock,
    ])
    return createDownloadReceipts(
      {
        network: init.network,
        ticket,
        clock: epochs,
        ...(init.signEveryBytes !== undefined ? { signEveryBytes: init.signEveryBytes } : {}),
        ...(init.signEverySlices !== undefined ? { signEverySlices: init.signEverySlices } : {}),
      },
      {
        nodeKey: components.nodeKey,
        send,
        addresses,
        tallies,
        ...(components.outbox ? { outbox: components.outbox } : {}),
      },
    )
  }
  return {
    begin(manifest, signal) {
      const ask = new AbortController()
      const cancelled = () => ask.abort(signal?.reason)
      if (signal?.aborted) cancelled()
      else signal?.addEventListener('abort', cancelled, { once: true })
      const pending = pendingReceipts(ticketed(manifest, ask.signal))
      const keep = () => signal?.removeEventListener('abort', cancelled)
      pending.ready.then(keep, keep)
      return {
        ready: pending.ready,
        verified(...args) {
          // A slice came: the ticket is needed to sign for it, whatever happens to the download.
          keep()
          pending.verified(...args)
        },
        flush: (provider, s) => pending.flush(provider, s),
        finish: (s) => pending.finish(s),
      }
    },
    async resend(signal) {
      const { outbox } = components
      if (!outbox) return 0
      let answered = 0
      for (const kept of await outbox.list().catch(() => [])) {
        if (signal.aborted) break
        try {
          const each = AbortSignal.any([signal, AbortSignal.timeout(10_000)])
          await send(kept.provider, [kept.receipt], each, [kept.ticket])
          answered++
          await outbox.sent(kept.key, kept.bytes)
        } catch {
          // Unreachable now: kept for the next start, until it is too old.
        }
      }
      return answered
    },
  }
}
