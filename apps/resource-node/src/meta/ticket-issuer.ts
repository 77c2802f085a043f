import {
  decodeTicketRequest,
  encodeTicket,
  InsufficientOzoneError,
  InvalidTicketError,
  issueTicket,
  type KeyPair,
  type Ticket,
  type TicketRequest,
  ticketIdOf,
  verifyTicketRequest,
} from '@stratos-edge/core'
import type { OzoneLedgerStore } from '../ledger/ozone-ledger-store.js'
import type { Logger } from '../logger.js'

/** Options of {@link createTicketIssuer}. */
export interface TicketIssuerInit {
  /** The network id signed into every ticket's domain. */
  network: number
  /**
   * Ozone (noz) every owner may spend without a prepayment: a free tier. Default 0 (none): a free tier
   * is a product choice; tests and `npm start` turn it on with `--free-ozone`.
   */
  freeOzone?: bigint
  /** Ozone (noz) one stored byte costs; default 1. */
  ozonePerByte?: bigint
  /** How long a ticket is valid, seconds (default 3600: an upload of a large file over a slow link). */
  ticketLifetimeSeconds?: number
  /** Largest ticket, bytes (default 64 GiB). */
  maxTicketBytes?: bigint
}

/** The edges of the issuer. */
export interface TicketIssuerComponents {
  /** The meta service's signing key: resource nodes trust its address. */
  key: KeyPair
  /** Where ozone is reserved, one transaction per ticket. */
  ledger: Pick<OzoneLedgerStore, 'reserveOzone'>
  logger?: Logger
  /** Milliseconds clock (default `Date.now`). */
  now?: () => number
}

/** Issues upload tickets against the owners' ozone. */
export interface TicketIssuer {
  /** The address resource nodes accept tickets from. */
  readonly address: string
  readonly network: number
  /**
   * Verifies an owner-signed request, reserves its ozone and signs the ticket. Throws
   * `InsufficientOzoneError` (naming owner, need and shortfall), `WrongNetworkError`,
   * `TicketExpiredError` or `InvalidTicketError`.
   */
  issue(request: TicketRequest): Promise<Ticket>
  /** {@link TicketIssuer.issue} on the wire forms (core's `encodeTicketRequest` in, `encodeTicket` out). */
  issueEncoded(request: Uint8Array): Promise<Uint8Array>
}

/**
 * Creates the ticket issuer of a meta service. The ticket id comes from the request (owner and nonce), and
 * the reservation is keyed by it, so a replayed request gets the same ticket and spends nothing more.
 *
 * @example
 * ```ts
 * const issuer = createTicketIssuer({ network: 137, freeOzone: 0n }, { key: metaKey, ledger: store })
 * const ticket = await issuer.issue(await signTicketRequest({ network: 137, bytes }, ownerSigner))
 * ```
 */
export function createTicketIssuer(init: TicketIssuerInit, components: TicketIssuerComponents): TicketIssuer {
  const now = components.now ?? Date.now
  const freeOzone = init.freeOzone ?? 0n
  const ozonePerByte = init.ozonePerByte ?? 1n
  const lifetime = init.ticketLifetimeSeconds ?? 3600
  const maxBytes = init.maxTicketBytes ?? 64n * 2n ** 30n

  async function issue(request: TicketRequest): Promise<Ticket> {
    const seconds = Math.floor(now() / 1000)
    verifyTicketRequest(request, { network: init.network, now: seconds })
    if (request.bytes > maxBytes) {
      throw new InvalidTicketError(
        `A ticket for ${request.bytes} bytes is over the largest one of ${maxBytes}`,
        'Upload the file in smaller parts',
      )
    }
    const id = ticketIdOf(request)
    const ozone = request.bytes * ozonePerByte
    const expiresAt = seconds + lifetime
    const { granted, available } = await components.ledger.reserveOzone(
      request.owner,
      id,
      ozone,
      freeOzone,
      expiresAt,
    )
    if (!granted) {
      const short = ozone - (available > 0n ? available : 0n)
      throw new InsufficientOzoneError(
        `${request.owner} has ${available > 0n ? available : 0n} ozone, ${ozone} needed for ${request.bytes} bytes: ${short} short`,
        `Prepay STOS to StoragePayments on Polygon with ${request.owner} as beneficiary, then upload again`,
        // The bytes the missing ozone would have bought (rounded up).
        { owner: request.owner, shortfallBytes: (short + ozonePerByte - 1n) / ozonePerByte },
      )
    }
    components.logger?.info('upload ticket issued', {
      owner: request.owner,
      bytes: request.bytes,
      ticket: id,
    })
    return issueTicket(
      {
        kind: 'upload',
        network: init.network,
        owner: request.owner,
        holder: request.owner,
        bytesAllowed: request.bytes,
        expiresAt,
        id,
      },
      components.key,
    )
  }

  return {
    address: components.key.evmAddress,
    network: init.network,
    issue,
    async issueEncoded(bytes) {
      return encodeTicket(await issue(decodeTicketRequest(bytes)))
    },
  }
}
