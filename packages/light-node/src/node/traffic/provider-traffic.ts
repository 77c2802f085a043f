/**
 * What a light node does for Proof of Traffic as a provider, when it has a network id: it serves a
 * downloader only while its receipts keep up (a small grace), holds the newest receipts durably and
 * submits them to the meta service.
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
   * Registers the receipt protocol and starts submitting, once the meta service is known to take
   * receipts; only from then on are downloaders refused past the grace.
   */
  start(
    libp2p: Pick<Libp2p, 'handle' | 'unhandle'>,
    index: Pick<TrafficIndex, 'submitReceipts'>,
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
 * await traffic.start(libp2p, index)
 * ```
 */
export function createProviderTraffic(
  init: ProviderTrafficInit,
  components: ProviderTrafficComponents,
): ProviderTraffic {
  const gate = createReceiptGate(init.graceBytes !== undefined ? { graceBytes: init.graceBytes } : {})
  let submitter: ReceiptSubmitter | undefined
  return {
    gate,
    // Until the meta service is known to take receipts, downloaders cannot get tickets: nobody owes any.
    admitFetch: (_request, peer) => {
      if (submitter) gate.check(peer.toString())
    },
    served: (peer, bytes) => gate.served(peer.toString(), bytes),
    async start(libp2p, index) {
      submitter = createReceiptSubmitter(
        init.submitEveryMs !== undefined ? { everyMs: init.submitEveryMs } : {},
        { hold: components.hold, submit: (receipts) => index.submitReceipts(receipts) },
      )
      const s = submitter
      await registerReceiptProtocol(libp2p, {
        network: init.network,
        provider: components.nodeKey.evmAddress,
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
      submitter?.stop()
    },
  }
}
