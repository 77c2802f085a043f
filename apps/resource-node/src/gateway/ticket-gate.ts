import {
  decodeTicket,
  type FileHash,
  fromHex,
  InvalidTicketError,
  type Ticket,
  TicketBoundError,
  TicketRequiredError,
  toHex,
  verifyTicket,
} from '@stratos-edge/core'
import { createMemoryTicketExpiries, type TicketExpiries } from '../store/ticket-expiries.js'

/** Options of {@link createTicketGate}. */
export interface TicketGateInit {
  /** Addresses of the meta services whose tickets are accepted. */
  issuers: readonly string[]
  /** The network id tickets must be signed for. */
  network: number
  /** Milliseconds clock (default `Date.now`). */
  now?: () => number
  /** Tickets whose use is remembered at once; expired ones go first (default 65 536). */
  maxTickets?: number
}

/** What a write asks of its ticket. */
export interface TicketUse {
  /** Bytes about to be stored (0 for a commit or a manifest: the slices were counted). */
  bytes: number
  /** The file the bytes belong to, when known: binds the ticket to it, or refuses it for another. */
  fileHash?: FileHash
}

/** A ticket admitted for a write; `refund` gives its bytes back when nothing was stored after all. */
export interface TicketAdmission {
  ticket: Ticket
  refund(): void
}

/** Checks upload tickets on every write path and counts the bytes each one has paid for on this node. */
export interface TicketGate {
  /**
   * Checks `ticket` (the raw bytes or `0x` hex, as sent) for `use` before any body byte is read, and
   * counts the bytes against it. Throws `TicketRequiredError` (none), `InvalidTicketError` (malformed,
   * forged, unknown issuer), `WrongNetworkError`, `TicketExpiredError`, `TicketBoundError` (bound to
   * another file) or `InsufficientOzoneError` (used up): each names the owner and, where it applies,
   * the shortfall.
   */
  admit(ticket: Uint8Array | string | undefined, use: TicketUse): TicketAdmission
  /**
   * Checks `ticket` like {@link TicketGate.admit} (signature, issuer, network, expiry, file binding) and
   * notes its expiry for `fileHash` (eviction spares the file's slices until then), but counts no bytes:
   * for copies a registered resource node sends on, whose bytes were counted where the upload came in.
   */
  note(ticket: Uint8Array | string, fileHash: FileHash): Ticket
  /** Bytes counted against a ticket id so far (tests, metrics). */
  used(ticketId: string): bigint
  /**
   * When the latest ticket admitted for `fileHash` expires, ms since the epoch (undefined: none seen):
   * the slices stored under it are paid for until then, though their manifest has not come yet.
   */
  expiryOf(fileHash: FileHash): number | undefined
}

interface Usage {
  /** The ticket as first admitted (`0x` hex): the same bytes again need no second signature check. */
  encoded: string
  used: bigint
  fileHash?: FileHash
  expiresAt: number
}

/**
 * Creates the gate. A ticket's usage lives in memory: it is for one upload, short-lived (minutes), and a
 * restart that forgets it lets an uploader store at most one more ticket's worth, which the meta
 * service already reserved and charged. Each file's latest ticket expiry (which keeps its slices from
 * eviction until the manifest comes) is kept by `expiries`: a node keeps them on disk, across restarts.
 *
 * @example
 * ```ts
 * const gate = createTicketGate({ issuers: [metaAddress], network: 137 })
 * gate.admit(req.headers['x-stratos-ticket'], { bytes: size, fileHash })
 * ```
 */
export function createTicketGate(
  init: TicketGateInit,
  components: {
    /** Where each file's latest ticket expiry is kept (default in memory; a node keeps them on disk). */
    expiries?: TicketExpiries
  } = {},
): TicketGate {
  const now = init.now ?? Date.now
  const maxTickets = init.maxTickets ?? 65_536
  const usage = new Map<string, Usage>()
  /** Per file, when the latest ticket admitted for it expires (kept an hour past it, for eviction margins). */
  const files = components.expiries ?? createMemoryTicketExpiries({ now, maxFiles: maxTickets })

  const prune = (t: number): void => {
    for (const [id, u] of usage) if (u.expiresAt <= t) usage.delete(id)
    // Still full of live tickets: the oldest admitted goes (its owner may be asked for a new one).
    while (usage.size >= maxTickets) usage.delete(usage.keys().next().value as string)
  }

  const decode = (ticket: Uint8Array | string): Ticket => {
    try {
      return decodeTicket(typeof ticket === 'string' ? fromHex(ticket) : ticket)
    } catch (err) {
      throw new InvalidTicketError(
        'The upload ticket is malformed',
        'Send core encodeTicket bytes as 0x hex',
        {
          cause: err,
        },
      )
    }
  }

  return {
    note(raw, fileHash) {
      const encoded = typeof raw === 'string' ? raw.toLowerCase() : toHex(raw)
      const ticket = decode(raw)
      const known = usage.get(ticket.id)
      verifyTicket(ticket, {
        issuers: init.issuers,
        network: init.network,
        now: Math.floor(now() / 1000),
        kind: 'upload',
        bytesUsed: 0n,
        signatureChecked: known?.encoded === encoded,
      })
      const bound = known?.fileHash ?? ticket.fileHash
      if (bound && bound !== fileHash) {
        throw new TicketBoundError(
          `Ticket ${ticket.id} of ${ticket.owner} is bound to ${bound}, not ${fileHash}`,
          'Ask for a new ticket: one ticket serves one file',
        )
      }
      // Bound here as on the node that charged it: a failover to this node cannot spend it on another file.
      if (!known && usage.size >= maxTickets) prune(now())
      const entry: Usage = known ?? { encoded, used: 0n, expiresAt: ticket.expiresAt * 1000 }
      entry.fileHash = fileHash
      usage.set(ticket.id, entry)
      files.note(fileHash, ticket.expiresAt * 1000)
      return ticket
    },
    admit(raw, use) {
      if (raw === undefined || raw === '' || (raw instanceof Uint8Array && raw.length === 0)) {
        throw new TicketRequiredError(
          `Storing ${use.bytes} bytes${use.fileHash ? ` of ${use.fileHash}` : ''} needs an upload ticket`,
          'Ask the meta service for an upload ticket (signed by the owner) and send it with every write',
        )
      }
      const encoded = typeof raw === 'string' ? raw.toLowerCase() : toHex(raw)
      const ticket = decode(raw)
      const t = now()
      const seconds = Math.floor(t / 1000)
      const known = usage.get(ticket.id)
      const used = (known?.used ?? 0n) + BigInt(use.bytes)
      verifyTicket(ticket, {
        issuers: init.issuers,
        network: init.network,
        now: seconds,
        kind: 'upload',
        bytesUsed: used,
        // These exact bytes passed the signature check when first admitted: only time and bytes change.
        signatureChecked: known?.encoded === encoded,
      })
      const bound = known?.fileHash ?? ticket.fileHash
      if (use.fileHash && bound && bound !== use.fileHash) {
        throw new TicketBoundError(
          `Ticket ${ticket.id} of ${ticket.owner} is bound to ${bound}, not ${use.fileHash}`,
          'Ask for a new ticket: one ticket serves one file',
        )
      }
      if (!known && usage.size >= maxTickets) prune(t)
      const entry: Usage = known ?? { encoded, used: 0n, expiresAt: ticket.expiresAt * 1000 }
      entry.used = used
      const fileHash = use.fileHash ?? bound
      if (fileHash) {
        entry.fileHash = fileHash
        files.note(fileHash, entry.expiresAt)
      }
      usage.set(ticket.id, entry)
      let refunded = false
      return {
        ticket,
        refund() {
          if (refunded) return
          refunded = true
          entry.used -= BigInt(use.bytes)
        },
      }
    },
    used: (id) => usage.get(id.toLowerCase())?.used ?? 0n,
    expiryOf: (fileHash) => files.expiryOf(fileHash),
  }
}
