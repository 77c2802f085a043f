import type { OzoneMarket } from '@stratos-edge/core'
import type { PaymentCredit, PaymentWatcherStore, RefundDebit } from '@stratos-edge/polygon-bridge'

/** A prepayment the ledger credited, with the ozone it bought. */
export interface CreditedPayment {
  /** `${chainId}:${txHash}:${logIndex}`: credited at most once. */
  readonly key: string
  readonly chainId: number
  readonly txHash: string
  readonly logIndex: number
  readonly blockNumber: number
  readonly paymentId: bigint
  /** Lower-case `0x` address. */
  readonly payer: string
  /** Lower-case `0x` address: whose ozone grew. */
  readonly beneficiary: string
  /** STOS paid, in wei. */
  readonly amount: bigint
  /** Ozone bought, in noz. */
  readonly ozone: bigint
}

/** What a credit changes, computed from the market as it stands inside the store's transaction. */
export interface PrepayEffect {
  readonly ozone: bigint
  readonly market: OzoneMarket
}

/** What a refund takes back, computed from the refunded payment inside the store's transaction. */
export interface RefundEffect {
  /** Ozone taken from the beneficiary (never more than it holds). */
  readonly ozone: bigint
  readonly market: OzoneMarket
}

/**
 * Durable state of the ozone ledger. Every method that changes state is one atomic transaction, and a
 * credit or refund is keyed by its chain event, so repeating one (after a crash between the credit and
 * the watcher's cursor save) changes nothing. Also the payment watcher's own store, so both live in one
 * database. `node:sqlite` implements it (`openSqliteLedgerStore`); a server database can replace it when
 * one meta service is not enough.
 */
export interface OzoneLedgerStore extends PaymentWatcherStore {
  /**
   * Records `credit` and adds the ozone `price(market)` says it bought to the beneficiary, in one
   * transaction. Returns the recorded payment, or undefined (and changes nothing) when its key was
   * already credited.
   */
  creditPayment(
    credit: PaymentCredit,
    price: (market: OzoneMarket) => PrepayEffect,
  ): Promise<CreditedPayment | undefined>
  /**
   * Records `debit` and takes from the refunded payment's beneficiary what `take(payment, market,
   * balance)` says, in one transaction. Returns the ozone taken, or undefined (nothing changes) when its
   * key was already recorded. A refund of a payment the ledger never credited takes nothing.
   */
  refundPayment(
    debit: RefundDebit,
    take: (payment: CreditedPayment, market: OzoneMarket, balance: bigint) => RefundEffect,
  ): Promise<bigint | undefined>
  /** Ozone (noz) of `owner` (a `0x` address, any case); 0 for an unknown one. */
  balance(owner: string): Promise<bigint>
  /** The payment credited under `key`. */
  payment(key: string): Promise<CreditedPayment | undefined>
  /** Every credited payment, in credit order. */
  payments(): Promise<CreditedPayment[]>
  /** The ozone market as the ledger last left it. */
  market(): Promise<OzoneMarket>
  close(): Promise<void>
}
