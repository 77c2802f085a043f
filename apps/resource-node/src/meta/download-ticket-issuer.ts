import {
  type DownloadTicketRequest,
  decodeDownloadTicketRequest,
  decodeManifest,
  decodeTicket,
  downloadTicketIdOf,
  encodeTicket,
  type FileHash,
  InsufficientOzoneError,
  issueTicket,
  type KeyPair,
  requestedOwnerOf,
  type Ticket,
  toEvmAddress,
  verifyDownloadTicketRequest,
} from '@stratos-edge/core'
import { SliceNotFoundError } from '@stratos-edge/protocol'
import type { OzoneLedgerStore } from '../ledger/ozone-ledger-store.js'
import type { Logger } from '../logger.js'

/** Options of {@link createDownloadTicketIssuer}. */
export interface DownloadTicketIssuerInit {
  /** The network id signed into every ticket's domain. */
  network: number
  /** Bytes a ticket allows, as a multiple of the file's size (default 2: room for retries and resumes). */
  sizeFactor?: number
  /** Ozone (noz) one byte read costs; default 1, as the settlement charges. */
  ozonePerByte?: bigint
  /** Ozone every owner may spend without a prepayment (the upload tickets' free tier); default 0. */
  freeOzone?: bigint
  /** How long a download ticket is valid, seconds (default 3600). */
  ticketLifetimeSeconds?: number
}

/** The edges of the issuer. */
export interface DownloadTicketIssuerComponents {
  /** The meta service's signing key (the same one as for upload tickets). */
  key: KeyPair
  ledger: Pick<OzoneLedgerStore, 'reserveDownload' | 'liveDownload'>
  /**
   * Whether any receipt was taken under a ticket. A live ticket is handed out again only while unused: a
   * used one may be near its allowance, and a download under it would be refused by its providers.
   */
  ticketUsed?(ticketId: string): Promise<boolean>
  /**
   * The manifest a download reads: the one `owner` signed when given, else the one the meta service
   * answers for the bare file hash.
   */
  manifest(fileHash: FileHash, owner?: string): Promise<Uint8Array | undefined>
  logger?: Logger
  /** Milliseconds clock (default `Date.now`). */
  now?: () => number
}

/** Issues download tickets against the file owners' ozone. */
export interface DownloadTicketIssuer {
  /**
   * Verifies a downloader-signed request, finds the file's owner, reserves `size × sizeFactor` bytes of
   * the owner's ozone and signs the ticket. A downloader that holds a live ticket of the same file and
   * owner with at least half its lifetime left gets that ticket again (nothing more reserved). Throws `WrongNetworkError`, `TicketExpiredError`,
   * `InvalidTicketError`, `SliceNotFoundError` (no manifest of the file) or `InsufficientOzoneError`.
   */
  issue(request: DownloadTicketRequest): Promise<Ticket>
  /** {@link DownloadTicketIssuer.issue} on the wire forms. */
  issueEncoded(request: Uint8Array): Promise<Uint8Array>
}

/**
 * Creates the download ticket issuer of a meta service: the publisher pays for reads (like a CDN bill),
 * so anyone may read a public file, and the reservation makes sure the traffic it backs is paid for. The
 * ticket id comes from the request, so a replay gets the same ticket and reserves nothing more.
 *
 * @example
 * ```ts
 * const issuer = createDownloadTicketIssuer({ network: 137 }, { key, ledger: store, manifest: (h, o) => store.getManifest(h, o) })
 * const ticket = await issuer.issueEncoded(requestBytes)
 * ```
 */
export function createDownloadTicketIssuer(
  init: DownloadTicketIssuerInit,
  components: DownloadTicketIssuerComponents,
): DownloadTicketIssuer {
  const now = components.now ?? Date.now
  const factor = BigInt(Math.max(1, Math.ceil(init.sizeFactor ?? 2)))
  const ozonePerByte = init.ozonePerByte ?? 1n
  const lifetime = init.ticketLifetimeSeconds ?? 3600

  async function issue(request: DownloadTicketRequest): Promise<Ticket> {
    const seconds = Math.floor(now() / 1000)
    verifyDownloadTicketRequest(request, { network: init.network, now: seconds })
    const asked = requestedOwnerOf(request)
    const bytes = await components.manifest(request.fileHash, asked)
    if (!bytes) {
      throw new SliceNotFoundError(
        `No manifest of ${request.fileHash}${asked ? ` signed by ${asked}` : ''}`,
        'Ask for a file the network holds',
      )
    }
    // Its signature was checked when it was stored.
    const m = decodeManifest(bytes, { verify: false })
    const owner = toEvmAddress(m.owner)
    if (m.fileHash !== request.fileHash || (asked && owner !== asked)) {
      throw new SliceNotFoundError(`No manifest of ${request.fileHash} by ${asked ?? 'anyone'}`, 'Ask again')
    }
    const bytesAllowed = BigInt(Math.max(1, m.size)) * factor
    const ozone = bytesAllowed * ozonePerByte
    const id = downloadTicketIdOf(request)
    const expiresAt = seconds + lifetime
    const sign = () =>
      encodeTicket(
        issueTicket(
          {
            kind: 'download',
            network: init.network,
            owner,
            holder: request.downloader,
            fileHash: request.fileHash,
            bytesAllowed,
            expiresAt,
            id,
          },
          components.key,
        ),
      )
    // The same downloader asking for the same file again (any nonce) gets its live, unused ticket back
    // while it has at least half its lifetime left: asking again and again locks up no more ozone.
    const live = {
      holder: request.downloader,
      fileHash: request.fileHash,
      after: seconds + Math.floor(lifetime / 2),
    }
    const again = await components.ledger.liveDownload(owner, live)
    if (again) {
      const kept = decodeTicket(again)
      if (!(await components.ticketUsed?.(kept.id))) return kept
    }
    const { granted, available, ticket } = await components.ledger.reserveDownload(
      owner,
      id,
      ozone,
      init.freeOzone ?? 0n,
      expiresAt,
      sign,
      { ...live, reuse: false },
    )
    if (!granted || !ticket) {
      const has = available > 0n ? available : 0n
      throw new InsufficientOzoneError(
        `${owner} has ${has} ozone, ${ozone} needed to serve ${request.fileHash}: ${ozone - has} short`,
        `The file's owner prepays STOS to StoragePayments on Polygon with ${owner} as beneficiary`,
      )
    }
    components.logger?.info('download ticket issued', { owner, downloader: request.downloader, ticket: id })
    return decodeTicket(ticket)
  }

  return {
    issue,
    async issueEncoded(bytes) {
      return encodeTicket(await issue(decodeDownloadTicketRequest(bytes)))
    },
  }
}
