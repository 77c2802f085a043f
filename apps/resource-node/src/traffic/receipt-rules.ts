import {
  type EvmAddress,
  type Ticket,
  type TrafficReceipt,
  toEvmAddress,
  verifyReceipt,
  verifyTicket,
} from '@stratos-edge/core'

/**
 * Why a receipt did not count. Checked by {@link checkReceipt} (needs no state) or by the settlement
 * store (needs the receipts already held):
 * - `wrong-network`: it (or its ticket) is signed for another network id than the meta service's;
 * - `late`: its epoch's late window has closed (or the epoch is settled); `future`: it has not begun;
 * - `wrong-provider`: it names another provider than the one submitting it;
 * - `forged`: the signature is not the downloader's;
 * - `unknown-ticket`, `invalid-ticket` (bad issuer or signature, expired at the epoch's end, not a
 *   download ticket), `not-ticket-holder`, `wrong-file`: the traffic is not backed by a paid ticket;
 * - `over-claim`: more bytes than the whole ticket allows;
 * - `self-dealing`: the downloader is the provider, owns it or is owned by it, or shares an owner with it
 *   (by the node-owner bindings {@link OwnerOf} reads);
 * - `replayed`: its (downloader, ticket, nonce) was already used by another receipt;
 * - `stale`: an older receipt than the one held for its (downloader, provider, ticket);
 * - `not-cumulative`: a newer nonce with fewer bytes than the one held.
 */
export type RejectReason =
  | 'wrong-network'
  | 'late'
  | 'future'
  | 'wrong-provider'
  | 'forged'
  | 'unknown-ticket'
  | 'invalid-ticket'
  | 'not-ticket-holder'
  | 'wrong-file'
  | 'over-claim'
  | 'self-dealing'
  | 'replayed'
  | 'stale'
  | 'not-cumulative'

/**
 * Who owns a node address: every owner wallet it was bound to (empty when none is known). Self-dealing
 * is judged by it. The meta service reads its node-owner book (`openNodeOwnerBook`).
 */
export type OwnerOf = (account: EvmAddress) => readonly EvmAddress[]

/** What {@link checkReceipt} checks a receipt against. */
export interface ReceiptContext {
  /** The provider submitting it. */
  readonly provider: EvmAddress
  /** Its ticket, looked up by the receipt's ticket id; undefined when the meta service never issued it. */
  readonly ticket: Ticket | undefined
  /** Accepted ticket issuers (meta service addresses). */
  readonly issuers: readonly string[]
  /** Unix seconds the ticket is checked at: the epoch's start (a ticket expiring in the epoch still counts). */
  readonly ticketTime: number
  readonly ownerOf: OwnerOf
  /** Whether the downloader's signature was already checked (true) or found bad (false); undefined: check it here. */
  readonly signatureValid?: boolean
  /**
   * Whether the ticket's signature by its issuer was already checked (true) or found bad (false);
   * undefined: check it here. A ticket backs many receipts: checking it once saves a recovery each.
   */
  readonly ticketSignatureValid?: boolean
}

/**
 * The rules a single receipt must pass on its own, cheapest first, the signature before anything that
 * trusts its fields. Returns the first rule it breaks, or undefined when it may count.
 *
 * @example
 * ```ts
 * const reason = checkReceipt(receipt, { provider, ticket, issuers, ticketTime, ownerOf: () => [] })
 * ```
 */
export function checkReceipt(receipt: TrafficReceipt, ctx: ReceiptContext): RejectReason | undefined {
  const provider = toEvmAddress(receipt.provider)
  if (provider !== ctx.provider) return 'wrong-provider'
  if (ctx.signatureValid === false) return 'forged'
  if (ctx.signatureValid === undefined && !receiptSignatureValid(receipt)) return 'forged'
  const downloader = toEvmAddress(receipt.downloader)
  const ticket = ctx.ticket
  if (!ticket) return 'unknown-ticket'
  if (ticket.network !== receipt.network) return 'wrong-network'
  if (ctx.ticketSignatureValid === false) return 'invalid-ticket'
  if (ctx.ticketSignatureValid === undefined && !ticketSignatureValid(ticket, ctx.issuers))
    return 'invalid-ticket'
  if (!ctx.issuers.some((i) => toEvmAddress(i) === toEvmAddress(ticket.issuer))) return 'invalid-ticket'
  if (ticket.expiresAt <= ctx.ticketTime || ticket.kind !== 'download') return 'invalid-ticket'
  if (toEvmAddress(ticket.holder) !== downloader) return 'not-ticket-holder'
  if (ticket.fileHash !== receipt.fileHash) return 'wrong-file'
  if (BigInt(receipt.bytes) > ticket.bytesAllowed) return 'over-claim'
  if (isSelfDealing(downloader, provider, ctx.ownerOf)) return 'self-dealing'
  return undefined
}

/** True when the ticket is signed by its issuer and the issuer is one of `issuers` (expiry not checked). */
export function ticketSignatureValid(ticket: Ticket, issuers: readonly string[]): boolean {
  try {
    // Checked at time 0 and on the ticket's own network: only the signature and the issuer are in
    // question here (the network id is part of what is signed).
    verifyTicket(ticket, { issuers, network: ticket.network, now: 0 })
    return true
  } catch {
    return false
  }
}

/** True when the receipt is signed by its downloader. */
export function receiptSignatureValid(receipt: TrafficReceipt): boolean {
  try {
    verifyReceipt(receipt)
    return true
  } catch {
    return false
  }
}

/**
 * A provider paid for serving itself: the downloader is the provider, is one of the provider's owners
 * (or the other way round), or both share an owner.
 */
export function isSelfDealing(downloader: EvmAddress, provider: EvmAddress, ownerOf: OwnerOf): boolean {
  if (downloader === provider) return true
  const downloaderOwners = ownerOf(downloader)
  const providerOwners = ownerOf(provider)
  if (providerOwners.includes(downloader) || downloaderOwners.includes(provider)) return true
  return downloaderOwners.some((o) => providerOwners.includes(o))
}
