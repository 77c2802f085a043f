/**
 * The downloader's receipts for one download: per provider, the running total of verified bytes it got
 * under the download's ticket in the current epoch, signed with the node key every 4 slices or 16 MiB
 * (whichever comes first) and at the end, and sent to that provider. The final receipts are kept in the
 * node's outbox until acknowledged: a node stopped right after the download sends them on its next start.
 */
import {
  type EpochClock,
  encodeReceipt,
  encodeTicket,
  epochAt,
  type KeyPair,
  type SliceHash,
  signReceipt,
  type Ticket,
} from '@stratos-edge/core'
import type { ReceiptsReply } from '@stratos-edge/protocol'
import type { ProviderInfo } from '../network-index.js'
import type { ReceiptOutbox } from './receipt-outbox.js'

/** Options of {@link createDownloadReceipts}. */
export interface DownloadReceiptsInit {
  network: number
  /** The download ticket the traffic is paid under. */
  ticket: Ticket
  clock: EpochClock
  /**
   * Unsigned verified bytes from one provider, across all of this node's downloads from it, that make a
   * download sign; default 16 MiB (half the providers' default grace of 32 MiB, which they count per
   * peer, so a receipt is on its way well before the grace runs out however many downloads share it).
   */
  signEveryBytes?: number
  /**
   * Verified slices from one provider between two receipts of this download; default 4. Bounds what a
   * small download loses when the node stops before its final receipt went out.
   */
  signEverySlices?: number
}

/** Edges of {@link createDownloadReceipts}. */
export interface DownloadReceiptsComponents {
  /** The node key: the downloader receipts are signed by (the ticket's holder). */
  nodeKey: KeyPair
  /**
   * Sends encoded receipts (none: only asks for the provider's address) with the encoded download
   * ticket they are under (the provider credits no receipt without it).
   */
  send(
    provider: ProviderInfo,
    receipts: Uint8Array[],
    signal: AbortSignal,
    tickets?: Uint8Array[],
  ): Promise<ReceiptsReply>
  /** Provider addresses learned so far, by peer id (shared by the node's downloads). */
  addresses: Map<string, string>
  /**
   * Running totals by ticket and provider, shared by the node's downloads: a ticket serves every
   * download of its file (the meta service hands the same one back), and a provider keeps only the
   * largest total per ticket and epoch, so a second download of the file must count on from the first.
   */
  tallies?: Map<string, Tally>
  /** Where final receipts wait for their acknowledgement (see receipt-outbox.ts); none: not kept. */
  outbox?: Pick<ReceiptOutbox, 'keep' | 'sent'>
  /** Milliseconds since the Unix epoch; default `Date.now`. */
  now?: () => number
}

/** One download's receipts. */
export interface DownloadReceipts {
  /**
   * A verified slice of `bytes` from `provider`, at `at` (ms since the Unix epoch; default now); signs
   * and sends a receipt every `signEveryBytes`.
   */
  verified(provider: ProviderInfo, sliceHash: string, bytes: number, at?: number): void
  /** Signs and sends the current total to `provider` now (it refused to serve more without one). */
  flush(provider: ProviderInfo, signal: AbortSignal): Promise<void>
  /**
   * Signs the final total to every provider (the download ended) and sends it. With an outbox, resolves
   * once the receipts are kept there (the sends go on behind); without, once they are sent.
   */
  finish(signal: AbortSignal): Promise<void>
}

/** A signed receipt and the total it covers. */
interface Signed {
  bytes: number
  receipt: Uint8Array
}

/** The running total of one ticket's bytes from one provider in one epoch. */
export interface Tally {
  provider: ProviderInfo
  epoch: number
  bytes: number
  lastSlice: string
  /** Bytes added since the last receipt was queued. */
  unsigned: number
  /** Slices added since the last receipt was queued. */
  unsignedSlices: number
  /** The last total signed and sent: nothing new to sign while it equals `bytes`. */
  sentBytes: number
  sending: Promise<void>
  /** When the ticket expires (ms): past it, a fully sent tally is never added to again. */
  expiresAt: number
}

/**
 * Creates the receipts of one download. Sending is serialised per provider and never blocks the
 * download; a send that fails is retried with the next receipt (the total is cumulative).
 *
 * @example
 * ```ts
 * const receipts = createDownloadReceipts({ network, ticket, clock }, { nodeKey, send, addresses })
 * receipts.verified(provider, sliceHash, 4 << 20)
 * await receipts.finish(signal)
 * ```
 */
export function createDownloadReceipts(
  init: DownloadReceiptsInit,
  components: DownloadReceiptsComponents,
): DownloadReceipts {
  const signEveryBytes = Math.max(1, init.signEveryBytes ?? 16 * 1024 * 1024)
  const signEverySlices = Math.max(1, init.signEverySlices ?? 4)
  const now = components.now ?? Date.now
  const tallies = components.tallies ?? new Map<string, Tally>()
  /** The tallies this download added to: `finish` signs those. */
  const mine = new Set<Tally>()
  const keyOf = (provider: ProviderInfo) => `${init.ticket.id}|${provider.peerId}`
  const ticketBytes = encodeTicket(init.ticket)
  /** Unsigned bytes from `peerId` across every ticket's tally: what the provider's grace counts. */
  const unsignedFrom = (peerId: string): number => {
    let sum = 0
    for (const t of tallies.values()) if (t.provider.peerId === peerId) sum += t.unsigned
    return sum
  }
  let nonce = BigInt(now()) * 1000n

  const addressOf = async (provider: ProviderInfo, signal: AbortSignal): Promise<string> => {
    const known = components.addresses.get(provider.peerId)
    if (known) return known
    const reply = await components.send(provider, [], signal)
    components.addresses.set(provider.peerId, reply.provider)
    return reply.provider
  }

  /** The tally's current total, signed (undefined when there is nothing new to sign). */
  const sign = async (t: Tally, signal: AbortSignal): Promise<Signed | undefined> => {
    if (t.bytes === 0 || t.bytes === t.sentBytes) return undefined
    const bytes = t.bytes
    const address = await addressOf(t.provider, signal)
    const receipt = signReceipt(
      {
        network: init.network,
        epoch: t.epoch,
        provider: address,
        fileHash: init.ticket.fileHash as NonNullable<Ticket['fileHash']>,
        sliceHash: t.lastSlice as SliceHash,
        bytes,
        ticketId: init.ticket.id,
        nonce: ++nonce,
      },
      components.nodeKey,
    )
    return { bytes, receipt: encodeReceipt(receipt) }
  }

  const deliver = async (t: Tally, signed: Signed, signal: AbortSignal): Promise<void> => {
    await components.send(t.provider, [signed.receipt], signal, [ticketBytes])
    t.sentBytes = Math.max(t.sentBytes, signed.bytes)
  }

  const signAndSend = async (t: Tally, signal: AbortSignal): Promise<void> => {
    const signed = await sign(t, signal)
    if (signed) await deliver(t, signed, signal)
  }

  /** Signs the final total at once (not behind a slow send), keeps it, then sends it in turn. */
  const finishOne = async (t: Tally, signal: AbortSignal): Promise<void> => {
    t.unsigned = 0
    t.unsignedSlices = 0
    const signed = await sign(t, signal).catch(() => undefined)
    if (!signed) return
    const { outbox } = components
    const key = `${init.ticket.id}|${t.provider.peerId}|${t.epoch}`
    const kept = outbox
      ?.keep({ key, provider: t.provider, ...signed, ticket: ticketBytes, at: now() })
      .catch(() => {})
    t.sending = t.sending
      .then(() => deliver(t, signed, signal))
      .then(() => kept)
      .then(() => outbox?.sent(key, signed.bytes))
      .catch(() => {})
    await (kept ?? t.sending)
  }

  /** Queues a send after the provider's previous one; resolves when it is done (never rejects). */
  const queue = (t: Tally, signal: AbortSignal): Promise<void> => {
    t.unsigned = 0
    t.unsignedSlices = 0
    t.sending = t.sending.then(() => signAndSend(t, signal)).catch(() => {})
    return t.sending
  }

  return {
    verified(provider, sliceHash, bytes, at) {
      const epoch = epochAt(at ?? now(), init.clock)
      const key = keyOf(provider)
      let t = tallies.get(key)
      if (t && t.epoch !== epoch) {
        // The epoch turned: the old total is final; a new one starts from zero.
        void queue(t, AbortSignal.timeout(10_000))
        t = undefined
      }
      if (!t) {
        // The tallies outlive downloads (totals are per ticket): those of expired, fully sent tickets go.
        const at = now()
        for (const [k, old] of tallies)
          if (old.expiresAt <= at && old.unsigned === 0 && old.sentBytes === old.bytes) tallies.delete(k)
        // The address is asked for now: a final receipt then needs no round trip before it is kept.
        void addressOf(provider, AbortSignal.timeout(10_000)).catch(() => {})
        t = {
          provider,
          epoch,
          bytes: 0,
          lastSlice: sliceHash,
          unsigned: 0,
          unsignedSlices: 0,
          sentBytes: 0,
          sending: tallies.get(key)?.sending ?? Promise.resolve(),
          expiresAt: init.ticket.expiresAt * 1000,
        }
        tallies.set(key, t)
      }
      mine.add(t)
      t.bytes += bytes
      t.lastSlice = sliceHash
      t.unsigned += bytes
      t.unsignedSlices++
      // The provider's grace counts a peer's unsigned bytes over all its downloads: so does this.
      if (t.unsignedSlices >= signEverySlices || unsignedFrom(provider.peerId) >= signEveryBytes)
        void queue(t, AbortSignal.timeout(10_000))
    },
    async flush(provider, signal) {
      const t = tallies.get(keyOf(provider))
      if (t) await queue(t, signal)
    },
    async finish(signal) {
      // A tally its epoch left behind was queued when the epoch turned: its send covers it.
      const current = (t: Tally) => tallies.get(keyOf(t.provider)) === t
      await Promise.all([...mine].map((t) => (current(t) ? finishOne(t, signal) : queue(t, signal))))
    },
  }
}
