/**
 * A download's receipts while its ticket is on its way. The ticket (a round trip to the meta service,
 * and on first use the epoch clock) is not on the download's path: slices flow at once, each verified
 * slice is noted with its time, and the notes are counted into the real receipts when the ticket
 * arrives. A provider still bounds what it serves unsigned: past its grace it refuses, and the
 * download's `flush` waits for the ticket before it signs.
 */
import { untilAborted } from '../until-aborted.js'
import type { DownloadReceipts } from './download-receipts.js'

/** Receipts that start signing once their ticket arrived. */
export interface PendingReceipts extends DownloadReceipts {
  /** Resolves once the ticket arrived and receipts are signed; rejects when there is none. */
  readonly ready: Promise<void>
}

/**
 * Wraps the receipts `receipts` resolves to: until then, verified slices are noted (one small entry
 * per slice: bounded by the download's slice count); `flush` and `finish` wait for them.
 *
 * @example
 * ```ts
 * const receipts = pendingReceipts(ticketed(manifest))
 * receipts.verified(provider, sliceHash, 4 << 20) // noted; signed once the ticket is in
 * ```
 */
export function pendingReceipts(
  receipts: Promise<DownloadReceipts>,
  now: () => number = Date.now,
): PendingReceipts {
  let real: DownloadReceipts | undefined
  let noted: Parameters<DownloadReceipts['verified']>[] = []
  const ready = receipts.then(
    (r) => {
      real = r
      for (const args of noted) r.verified(...args)
      noted = []
    },
    (err) => {
      noted = []
      throw err
    },
  )
  ready.catch(() => {})
  /** The real receipts once the ticket is in; undefined when there is none. */
  const arrived = async (signal: AbortSignal): Promise<DownloadReceipts | undefined> => {
    await untilAborted(ready, signal).catch(() => {})
    signal.throwIfAborted()
    return real
  }
  return {
    ready,
    verified(provider, sliceHash, bytes, at) {
      if (real) real.verified(provider, sliceHash, bytes, at)
      else noted.push([provider, sliceHash, bytes, at ?? now()])
    },
    async flush(provider, signal) {
      await (await arrived(signal))?.flush(provider, signal)
    },
    async finish(signal) {
      await (await arrived(signal))?.finish(signal)
    },
  }
}
