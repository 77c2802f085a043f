import { applyPrepay, type OzoneMarket } from '@stratos-edge/core'
import {
  createPaymentWatcher,
  type PaymentCredit,
  type PaymentWatcher,
  type RefundDebit,
} from '@stratos-edge/polygon-bridge'
import type { Provider } from 'ethers'
import type { Logger } from '../logger.js'
import type { CreditedPayment, OzoneLedgerStore, RefundEffect } from './ozone-ledger-store.js'

/** Options of {@link createOzoneLedger}. */
export interface OzoneLedgerInit {
  /** `StoragePayments` on Polygon. */
  storagePayments: string
  /** Polygon's chain id (part of every payment's key). */
  chainId: number
  /** A prepayment is credited once its block has this many confirmations (the block itself counts). */
  confirmations: number
  /** First block to scan on a new ledger (the contract's deployment block). */
  fromBlock?: number
  /** Poll period of `start()`; default 2000 ms. */
  pollIntervalMs?: number
  /** Max blocks per `eth_getLogs`; default 2000. */
  maxBlockRange?: number
}

/** The edges the ledger talks to. */
export interface OzoneLedgerComponents {
  /** Polygon JSON-RPC. */
  provider: Provider
  store: OzoneLedgerStore
  logger: Logger
}

/** The meta service's ozone accounts, fed by Polygon prepayments. */
export interface OzoneLedger {
  /**
   * Scans once up to the confirmed head; resolves with the payments newly credited meanwhile (a replay
   * of one already credited is not listed). Meant for tests and tools; `start()` polls on its own.
   */
  poll(): Promise<CreditedPayment[]>
  /** Polls every `pollIntervalMs` until `stop()`. */
  start(): void
  stop(): Promise<void>
  /** Ozone (noz) of `owner`, a `0x` address. */
  balance(owner: string): Promise<bigint>
  /** The ozone market after every credit so far. */
  market(): Promise<OzoneMarket>
}

/**
 * The ozone a refund takes back: the refunded share of what the payment bought, rounded up so a refund
 * never leaves ozone that was not paid for, but never more than the beneficiary holds. The market gets the
 * refunded STOS out of Pt and the ozone back into Lt.
 */
export function refundEffect(
  payment: CreditedPayment,
  refunded: bigint,
  market: OzoneMarket,
  balance: bigint,
): RefundEffect {
  const share = payment.amount === 0n ? 0n : (payment.ozone * refunded + payment.amount - 1n) / payment.amount
  const ozone = share < balance ? share : balance > 0n ? balance : 0n
  const pt = market.unissuedPrepay - refunded
  return {
    ozone,
    market: {
      totalDeposit: market.totalDeposit,
      unissuedPrepay: pt > 0n ? pt : 0n,
      remainingOzoneLimit: market.remainingOzoneLimit + ozone,
    },
  }
}

/**
 * Credits `StoragePayments` prepayments to their beneficiaries' ozone (core's `applyPrepay` on the
 * ledger's market), each exactly once and only after `confirmations` blocks: the payment watcher finds
 * them, and the store records each credit in one transaction keyed by its chain event, so a restart (or
 * a crash between a credit and the watcher's cursor) never credits twice, and a payment that a reorg
 * drops before it is confirmed is never credited. Refunds take back the refunded share.
 *
 * @example
 * ```ts
 * const store = openSqliteLedgerStore({ dataDir, initialMarket })
 * const ledger = createOzoneLedger(
 *   { storagePayments, chainId: 137, confirmations: 64, fromBlock: deployBlock },
 *   { provider, store, logger },
 * )
 * ledger.start()
 * await ledger.balance('0x…')
 * ```
 */
export function createOzoneLedger(init: OzoneLedgerInit, components: OzoneLedgerComponents): OzoneLedger {
  const { store, logger } = components
  let credited: CreditedPayment[] = []

  async function onPayment(credit: PaymentCredit): Promise<void> {
    const payment = await store.creditPayment(credit, (market) => applyPrepay(credit.amount, market))
    if (!payment) {
      logger.info('payment already credited', { key: credit.key })
      return
    }
    credited.push(payment)
    logger.info('ozone credited', {
      key: payment.key,
      beneficiary: payment.beneficiary,
      amount: payment.amount,
      ozone: payment.ozone,
    })
  }

  async function onRefund(debit: RefundDebit): Promise<void> {
    const taken = await store.refundPayment(debit, (payment, market, balance) =>
      refundEffect(payment, debit.amount, market, balance),
    )
    if (taken !== undefined)
      logger.info('ozone refunded', { key: debit.key, paymentId: debit.paymentId, ozone: taken })
  }

  const watcher: PaymentWatcher = createPaymentWatcher(
    {
      storagePayments: init.storagePayments,
      chainId: init.chainId,
      confirmations: init.confirmations,
      ...(init.fromBlock !== undefined ? { fromBlock: init.fromBlock } : {}),
      ...(init.pollIntervalMs !== undefined ? { pollIntervalMs: init.pollIntervalMs } : {}),
      ...(init.maxBlockRange !== undefined ? { maxBlockRange: init.maxBlockRange } : {}),
    },
    {
      provider: components.provider,
      store,
      onPayment,
      onRefund,
      onError: (err) => logger.warn('payment watcher', { err }),
    },
  )

  return {
    async poll() {
      credited = []
      await watcher.poll()
      const out = credited
      credited = []
      return out
    },
    start: () => watcher.start(),
    stop: () => watcher.stop(),
    balance: (owner) => store.balance(owner),
    market: () => store.market(),
  }
}
