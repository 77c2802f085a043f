/**
 * One file's upload to its placed resource nodes: every slice goes to the first node, which copies it
 * on to the others. If that node fails, the next placed node takes over, and at the end it is sent
 * whatever it has not acknowledged itself (read back from the local store), so a node lost mid-upload
 * costs a resend, not the upload.
 */
import type { Libp2p } from '@libp2p/interface'
import type { ProviderInfo } from '../network-index.js'
import {
  type OutgoingSlice,
  openSliceUploader,
  type SliceUploader,
  UPLOADS_IN_FLIGHT,
} from './slice-uploader.js'

/** Where a slice can be read back from for a resend. */
export type SliceReader = (number: number) => Promise<OutgoingSlice>

/** What an upload achieved. */
export interface PlacedUploadResult {
  /** Nodes that acknowledged every slice themselves. */
  replicas: string[]
  /** Nodes the first replica was asked to copy every slice on to (not confirmed to the browser). */
  forwardedTo: string[]
  /** The last error, when some node failed on the way. */
  error?: unknown
}

/** Sends slices with at most {@link UPLOADS_IN_FLIGHT} outstanding, failing over along the placement. */
export class PlacedUpload {
  private next = 0
  private current: { peerId: string; uploader: Promise<SliceUploader>; index: number } | undefined
  private readonly acked = new Map<string, Set<number>>()
  private readonly inFlight = new Set<Promise<void>>()
  private lastError: unknown

  constructor(
    private readonly libp2p: Libp2p,
    private readonly targets: readonly ProviderInfo[],
    private readonly signal: AbortSignal,
    /** The upload ticket that pays for the slices (core's `encodeTicket`), when the network needs one. */
    private readonly ticket?: Uint8Array,
  ) {
    this.advance()
  }

  /** Moves to the next placed node; false when none is left. */
  private advance(): boolean {
    const index = this.next++
    const target = this.targets[index]
    if (!target) {
      this.current = undefined
      return false
    }
    const uploader = openSliceUploader(this.libp2p, target, this.targets.slice(index + 1), {
      signal: this.signal,
      ticket: this.ticket,
    })
    uploader.catch(() => {})
    this.current = { peerId: target.peerId, uploader, index }
    return true
  }

  private start(slice: OutgoingSlice): void {
    const at = this.current
    if (!at) return
    const p = at.uploader
      .then((u) => u.send(slice))
      .then(
        () => {
          this.ackedBy(at.peerId).add(slice.number)
        },
        (err) => {
          this.lastError = err
          // The first failure on the current node moves the rest of the upload to the next one.
          if (this.current === at && !this.signal.aborted) this.advance()
        },
      )
      .finally(() => this.inFlight.delete(p))
    this.inFlight.add(p)
  }

  private ackedBy(peerId: string): Set<number> {
    let set = this.acked.get(peerId)
    if (!set) {
      set = new Set()
      this.acked.set(peerId, set)
    }
    return set
  }

  /** Records slices `peerId` already holds from this upload (a committed staged upload). */
  markAcked(peerId: string, numbers: readonly number[]): void {
    const set = this.ackedBy(peerId)
    for (const n of numbers) set.add(n)
  }

  /** Starts sending `slice`; resolves once fewer than the in-flight limit are outstanding. */
  async send(slice: OutgoingSlice): Promise<void> {
    this.start(slice)
    while (this.inFlight.size >= UPLOADS_IN_FLIGHT) await Promise.race(this.inFlight)
  }

  /**
   * Waits for every send, then resends to the current node what it lacks (after a failover), reading
   * slices back with `read`. `numbers` are all the file's slice numbers.
   */
  async finish(numbers: readonly number[], read: SliceReader): Promise<PlacedUploadResult> {
    for (;;) {
      await Promise.all(this.inFlight)
      const at = this.current
      if (!at || this.signal.aborted) break
      const have = this.acked.get(at.peerId) ?? new Set<number>()
      const missing = numbers.filter((n) => !have.has(n))
      if (missing.length === 0) break
      for (const n of missing) {
        if (this.current !== at) break
        this.start(await read(n))
        while (this.inFlight.size >= UPLOADS_IN_FLIGHT) await Promise.race(this.inFlight)
      }
    }
    const at = this.current
    await at?.uploader.then((u) => u.close()).catch(() => {})
    const replicas = this.targets
      .map((t) => t.peerId)
      .filter((id) => numbers.every((n) => this.acked.get(id)?.has(n)))
    return {
      replicas,
      forwardedTo: at ? this.targets.slice(at.index + 1).map((t) => t.peerId) : [],
      ...(this.lastError !== undefined ? { error: this.lastError } : {}),
    }
  }
}
