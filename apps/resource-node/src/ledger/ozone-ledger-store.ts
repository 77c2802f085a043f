import type { OzoneMarket } from '@stratos-edge/core'
import type { PaymentCredit, PaymentWatcherStore, RefundDebit } from '@stratos-edge/polygon-bridge'

/** Which kept download ticket {@link OzoneLedgerStore.reserveDownload} may hand out again. */
export interface LiveDownload {
  /** The ticket's holder (the downloader's address). */
  holder: string
  /** The file it reads. */
  fileHash: string
  /** Only a ticket expiring after this (Unix seconds) is handed out again. */
  after: number
  /** False: record the holder and file with the new ticket, but hand out none again (checked already). */
  reuse?: boolean
}

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
  /**
   * Reserves `ozone` of `owner` for upload ticket `ticketId`, in one transaction: granted when the owner's
   * credited ozone plus `allowance` (a free tier; 0 for none), less every earlier reservation, covers it.
   * A ticket id reserved before is granted again without reserving more. `available` is what the owner
   * had before this reservation (for the shortfall of a refusal).
   */
  reserveOzone(
    owner: string,
    ticketId: string,
    ozone: bigint,
    allowance: bigint,
    expiresAt: number,
  ): Promise<{ granted: boolean; available: bigint }>
  /**
   * Reserves `ozone` of `owner` for download ticket `ticketId` and keeps the ticket `sign()` makes, in
   * one transaction, like {@link OzoneLedgerStore.reserveOzone}: the file owner pays for reads. A ticket
   * id reserved before is granted again with the ticket kept then (a replayed request gets the same
   * ticket, and spends nothing more). With `live`, a download ticket kept for the same holder, file and
   * owner that still reserves ozone and expires after `live.after` (Unix seconds) is granted instead, so
   * asking again and again with fresh nonces does not lock up more of the owner's ozone.
   */
  reserveDownload(
    owner: string,
    ticketId: string,
    ozone: bigint,
    allowance: bigint,
    expiresAt: number,
    sign: () => Uint8Array,
    live?: LiveDownload,
  ): Promise<{ granted: boolean; available: bigint; ticket?: Uint8Array }>
  /** The newest kept download ticket of `owner` that `live` names (core's `encodeTicket`), or undefined. */
  liveDownload(owner: string, live: LiveDownload): Promise<Uint8Array | undefined>
  /** The encoded download ticket kept under `ticketId` (core's `encodeTicket`), or undefined. */
  downloadTicket(ticketId: string): Promise<Uint8Array | undefined>
  /**
   * Takes an epoch's traffic from the owner's ozone, exactly once per `charge.key`, in one transaction:
   * the balance goes down by `charge.ozone` (below zero when a free tier paid) and the owner's download
   * reservations, soonest to expire first, by as much (the reserved ozone is now spent). A self-report
   * charge (key `self:…`, see `selfReportChargeKey`) lowers the balance only: it was capped to the ozone
   * left after the reservations, so it must not eat a ticket's reservation. Returns false,
   * changing nothing, when the key was charged before.
   */
  chargeTraffic(charge: { key: string; epoch: number; owner: string; ozone: bigint }): Promise<boolean>
  /**
   * Gives back what download tickets expired by `expiredBy` (Unix seconds) still reserve: call it once
   * every epoch they could back is settled and charged. Their tickets are kept (lookups still work).
   */
  releaseDownloads(expiredBy: number): Promise<{ tickets: number; ozone: bigint }>
  /**
   * An upload ticket's file committed with `usedBytes` of its `bytesAllowed`: keeps that share of its
   * reservation (rounded up) and gives the rest back to the owner, once per ticket, in one transaction.
   * Returns the ozone given back (0 for an unknown, download or already settled ticket).
   */
  commitUpload(ticketId: string, usedBytes: bigint, bytesAllowed: bigint): Promise<bigint>
  /**
   * Gives back all that upload tickets expired by `expiredBy` (Unix seconds) without a commit still
   * reserve, once each.
   */
  releaseExpiredUploads(expiredBy: number): Promise<{ tickets: number; ozone: bigint }>
  /** Ozone (noz) of `owner` reserved by tickets so far. */
  reserved(owner: string): Promise<bigint>
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
