/**
 * What a light node does for Proof of Traffic as a provider, when it has a network id: it serves a
 * downloader only while its receipts keep up (a small grace), holds the newest receipts durably and
 * submits them to the meta service. It starts once the meta service answers TRAFFIC_STATUS (asked again
 * every 30 s until it does), whose answer names the ticket issuer receipts' tickets must come from.
 */
import type { Libp2p, PeerId } from '@libp2p/interface'
import type { KeyPair } from '@stratos-edge/core'
import {
  createReceiptGate,
  createReceiptSubmitter,
  type HeldReceipt,
  type ReceiptGate,
  type ReceiptHoldStore,
  type ReceiptSubmitter,
  registerReceiptProtocol,
} from '@stratos-edge/protocol'
import type { TrafficIndex } from './traffic-index.js'

/** Options of {@link createProviderTraffic}. */
export interface ProviderTrafficInit {
  network: number
  /** Bytes served to a peer without receipts before it is refused; default 32 MiB. */
  graceBytes?: number
  /** Time between submission rounds; default 2 s. */
  submitEveryMs?: number
  /** Wait before asking TRAFFIC_STATUS again after it failed; default 30 s. */
  statusRetryMs?: number
}

/** Edges of {@link createProviderTraffic}. */
export interface ProviderTrafficComponents {
  hold: ReceiptHoldStore
  nodeKey: KeyPair
  /** A receipt was held (for the page's events). */
  onHeld?(held: HeldReceipt): void
}

/** The provider side, in two steps: hooks for the slice service, then the receipt protocol. */
export interface ProviderTraffic {
  readonly gate: ReceiptGate
  /** The slice service's `admitFetch`. */
  admitFetch(request: unknown, peer: PeerId): void
  /** To call from the slice service's `onSliceServed`. */
  served(peer: PeerId, bytes: number): void
  /**
   * Asks the meta service's TRAFFIC_STATUS until it answers (a settling meta service), then registers
   * the receipt protocol and starts submitting; only from then on are downloaders refused past the
   * grace. Resolves once started (never rejects; `stop` ends the asking).
   */
  start(
    libp2p: Pick<Libp2p, 'handle' | 'unhandle'>,
    index: Pick<TrafficIndex, 'submitReceipts' | 'trafficStatus'>,
  ): Promise<void>
  /** The submitter, once started. */
  readonly submitter: ReceiptSubmitter | undefined
  stop(): void
}

/**
 * Creates the provider side.
 *
 * @example
 * ```ts
 * const traffic = createProviderTraffic({ network: 31337 }, { hold: store.receipts, nodeKey })
 * await registerSliceProtocols(libp2p, { store, admitReceipts: traffic.admitFetch, onSliceServed: (i) => traffic.served(i.peer, i.bytes) })
 * void traffic.start(libp2p, index)
 * ```
 */
export function createProviderTraffic(
  init: ProviderTrafficInit,
  components: ProviderTrafficComponents,
): ProviderTraffic {
  const gate = createReceiptGate(init.graceBytes !== undefined ? { graceBytes: init.graceBytes } : {})
  let submitter: ReceiptSubmitter | undefined
  let stopped = false
  let retry: ReturnType<typeof setTimeout> | undefined
  let wake: (() => void) | undefined
  return {
    gate,
    // Until the meta service is known to take receipts, downloaders cannot get tickets: nobody owes any.
    admitFetch: (_request, peer) => {
      if (submitter) gate.check(peer.toString())
    },
    served: (peer, bytes) => gate.served(peer.toString(), bytes),
    async start(libp2p, index) {
      // Only a meta service that settles traffic makes receipts worth asking for: find out first,
      // again every `statusRetryMs` while it cannot say (unreachable, busy, not settling yet).
      let issuer: string | undefined
      while (!stopped && issuer === undefined) {
        issuer = await index.trafficStatus().then(
          (s) => s.ticketIssuer ?? '',
          () => undefined,
        )
        if (issuer === undefined) {
          await new Promise<void>((resolve) => {
            wake = resolve
            retry = setTimeout(resolve, init.statusRetryMs ?? 30_000)
          })
        }
      }
      if (stopped) return
      const issuers = issuer ? [issuer] : []
      const s = createReceiptSubmitter(
        init.submitEveryMs !== undefined ? { everyMs: init.submitEveryMs } : {},
        { hold: components.hold, submit: (receipts) => index.submitReceipts(receipts) },
      )
      submitter = s
      await registerReceiptProtocol(libp2p, {
        network: init.network,
        provider: components.nodeKey.evmAddress,
        issuers,
        hold: components.hold,
        gate,
        onHeld: (held) => {
          s.poke()
          components.onHeld?.(held)
        },
      })
    },
    get submitter() {
      return submitter
    },
    stop() {
      stopped = true
      clearTimeout(retry)
      wake?.()
      submitter?.stop()
    },
  }
}
