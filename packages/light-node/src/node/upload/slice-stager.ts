/**
 * Sends a file's first slices to the home resource node while the file is still being hashed (a staged
 * upload, see `@stratos-edge/protocol`), so the upload overlaps the hashing instead of following it. The
 * slices are committed once their hashes are known; anything not staged, not committed or rejected is
 * sent again the normal way, so staging can only save time, never lose a slice.
 */
import type { FileHash, SliceHash } from '@stratos-edge/core'
import { commitStagedUpload, newUploadId, type PeerAddress, stageSlice } from '@stratos-edge/protocol'
import { UPLOADS_IN_FLIGHT } from './slice-uploader.js'

/** Most bytes of one file staged before its hash is known (bounds the node's memory per upload). */
export const MAX_STAGED_BYTES = 128 * 1024 * 1024

/** What was staged, for the commit. */
export interface StagedSlices {
  uploadId: string
  /** The home node's peer id, from its answers. */
  peerId: string
  /** Slice numbers the node holds for this upload, ascending. */
  numbers: number[]
}

/** Stages slices of `blob` in order until stopped, at most {@link UPLOADS_IN_FLIGHT} at a time. */
export class SliceStager {
  private readonly staged: number[] = []
  private peerId: string | undefined
  private stopped = false
  /** Slices taken so far (staged, failed or on their way): numbers 1..next. */
  private next = 0
  private ticketHex: string | undefined
  private readonly running: Promise<void>

  constructor(
    private readonly url: string,
    private readonly blob: Blob,
    private readonly sliceSize: number,
    private readonly signal: AbortSignal,
    private readonly maxBytes = MAX_STAGED_BYTES,
    /**
     * The upload ticket (`0x` hex of core's `encodeTicket`), when the network needs one. A promise while it
     * is still being asked for (the file is hashed meanwhile): nothing is sent before it resolves, and
     * nothing at all if it rejects.
     */
    private readonly ticket?: string | Promise<string | undefined>,
    /** The staged upload's id (chosen by the caller when it must remember it before staging starts). */
    readonly uploadId = newUploadId(),
  ) {
    this.running = this.run()
  }

  private async run(): Promise<void> {
    let ticket: string | undefined
    try {
      ticket = await this.ticket
      this.ticketHex = ticket
    } catch {
      this.stopped = true
      return
    }
    const count = Math.max(1, Math.ceil(this.blob.size / this.sliceSize))
    const limit = Math.min(count, Math.max(1, Math.floor(this.maxBytes / this.sliceSize)))
    const sender = async (): Promise<void> => {
      while (!this.stopped && !this.signal.aborted && this.next < limit) {
        const index = this.next++
        const data = this.blob.slice(index * this.sliceSize, (index + 1) * this.sliceSize)
        try {
          const { peerId } = await stageSlice(
            this.url,
            { uploadId: this.uploadId, number: index + 1, data },
            { signal: this.signal, ...(ticket ? { ticket } : {}) },
          )
          this.peerId ??= peerId
          this.staged.push(index + 1)
        } catch {
          // Staging full, node unreachable, not supported: the rest goes the normal way.
          this.stopped = true
        }
      }
    }
    await Promise.all(Array.from({ length: UPLOADS_IN_FLIGHT }, sender))
  }

  /** The home node's peer id, once it has answered a staged slice. */
  get homePeerId(): string | undefined {
    return this.peerId
  }

  /**
   * Stops taking slices and says which it took (staged, or still on their way), without waiting for
   * them: the caller sends the rest at once, so the upload does not drain while staging ends. Those on
   * their way that fail are not committed; the caller sends them again (they are never acknowledged).
   */
  handOff(): number[] {
    this.stopped = true
    return Array.from({ length: this.next }, (_, i) => i + 1)
  }

  /**
   * Waits for the slices on their way, then commits every slice taken with its hash (`hashOf`), asking
   * the home node to copy them on to `forward`. Resolves with the slice numbers the node stored (none
   * when the commit failed: the caller sends them again).
   */
  async commit(
    fileHash: FileHash,
    hashOf: (number: number) => SliceHash,
    forward: PeerAddress[],
  ): Promise<number[]> {
    const staged = await this.stop()
    if (!staged) return []
    // Every slice taken, not only those answered: one whose answer was lost may be staged all the same,
    // and left out it would be sent again and counted twice against the exact-sized ticket. The node
    // stores those it holds and rejects the others (sent again by the caller).
    const taken = Array.from({ length: this.next }, (_, i) => i + 1)
    const slices = taken.map((number) => ({ number, hash: hashOf(number) }))
    const result = await commitStagedUpload(
      this.url,
      this.uploadId,
      { fileHash, slices, forward },
      { signal: this.signal, ...(this.ticketHex ? { ticket: this.ticketHex } : {}) },
    ).catch(() => undefined)
    return result?.stored ?? []
  }

  /** Stops staging, waits for slices on their way, and says what the node holds. */
  async stop(): Promise<StagedSlices | undefined> {
    this.stopped = true
    await this.running
    if (!this.peerId || this.staged.length === 0) return undefined
    return { uploadId: this.uploadId, peerId: this.peerId, numbers: this.staged.sort((a, b) => a - b) }
  }
}
