/**
 * A resource node as a Proof of Traffic provider: browsers that download from it sign receipts for it
 * like for any provider; it holds the newest per (downloader, ticket, epoch) in its data directory,
 * refuses a downloader whose receipts fall behind past a grace, and submits them to the meta service.
 */
import type { Libp2p, PeerId } from '@libp2p/interface'
import type { KeyPair } from '@stratos-edge/core'
import {
  createReceiptGate,
  createReceiptSubmitter,
  type HeldReceipt,
  type ReceiptGate,
  type ReceiptSubmitter,
  registerReceiptProtocol,
} from '@stratos-edge/protocol'
import type { Logger } from '../logger.js'
import { openSqliteReceiptHold } from './receipt-hold.js'
import { loadOrCreateNodeEvmKey } from './traffic-key.js'

/** Options of {@link startReceiptExchange}. */
export interface ReceiptExchangeInit {
  network: number
  dataDir: string
  /** Bytes served to a peer without receipts before it is refused; default 32 MiB. */
  graceBytes?: number
  /** Time between submission rounds; default 2 s. */
  submitEveryMs?: number
  /** Meta service addresses whose download tickets count: receipts under others' are refused. */
  issuers: readonly string[]
}

/** Edges of {@link startReceiptExchange}. */
export interface ReceiptExchangeComponents {
  libp2p: Pick<Libp2p, 'handle' | 'unhandle'>
  logger: Logger
  /** SUBMIT_RECEIPTS to the meta service (in process, or over the index protocol). */
  submit(receipts: Uint8Array[]): Promise<{ accepted: number; rejected: { index: number; reason: string }[] }>
  /**
   * Whether the meta service settles traffic (answers TRAFFIC_STATUS): until it does, downloaders cannot
   * get tickets, so none is refused. Asked at start and every 30 s until it says yes.
   */
  settlesTraffic(): Promise<boolean>
  /** Peers that never owe receipts (registered resource nodes reading for their gateway). */
  exempt?(peer: PeerId): Promise<boolean> | boolean
}

/** The running exchange. */
export interface ReceiptExchange {
  /** The address receipts for this node name. */
  readonly key: KeyPair
  readonly gate: ReceiptGate
  readonly submitter: ReceiptSubmitter
  /** The receipts held (for the node's traffic status). */
  held(): Promise<HeldReceipt[]>
  /** The slice service's `admitFetch`. */
  admitFetch(request: unknown, peer: PeerId): Promise<void>
  /** To call from the slice service's `onSliceServed`. */
  served(peer: PeerId, bytes: number): void
  stop(): Promise<void>
}

/**
 * Registers `/stratos-edge/receipt/1.0.0` and starts submitting.
 *
 * @example
 * ```ts
 * const receipts = await startReceiptExchange({ network: 31337, dataDir, issuers: [meta] }, { libp2p, logger, submit })
 * ```
 */
export async function startReceiptExchange(
  init: ReceiptExchangeInit,
  components: ReceiptExchangeComponents,
): Promise<ReceiptExchange> {
  const key = await loadOrCreateNodeEvmKey(init.dataDir)
  const hold = openSqliteReceiptHold(init.dataDir)
  const gate = createReceiptGate(init.graceBytes !== undefined ? { graceBytes: init.graceBytes } : {})
  const submitter = createReceiptSubmitter(
    init.submitEveryMs !== undefined ? { everyMs: init.submitEveryMs } : {},
    {
      hold,
      submit: components.submit,
      onSubmitted: (r) => {
        if (r.rejected.length > 0)
          components.logger.warn('receipts rejected', { reasons: r.rejected.map((x) => x.reason) })
      },
    },
  )
  let gating = false
  let probe: ReturnType<typeof setTimeout> | undefined
  const ask = (): void => {
    components
      .settlesTraffic()
      .catch(() => false)
      .then((yes) => {
        if (yes) gating = true
        else probe = setTimeout(ask, 30_000)
      })
  }
  ask()
  const service = await registerReceiptProtocol(components.libp2p, {
    network: init.network,
    provider: key.evmAddress,
    issuers: init.issuers,
    hold,
    gate,
    onHeld: () => submitter.poke(),
  })
  return {
    key,
    gate,
    submitter,
    held: () => hold.list(),
    async admitFetch(_request, peer) {
      if (!gating || gate.owed(peer.toString()) <= 0) return
      try {
        gate.check(peer.toString())
      } catch (err) {
        if (await components.exempt?.(peer)) return
        throw err
      }
    },
    served: (peer, bytes) => gate.served(peer.toString(), bytes),
    async stop() {
      clearTimeout(probe)
      submitter.stop()
      await service.unregister().catch(() => {})
      hold.close()
    },
  }
}
