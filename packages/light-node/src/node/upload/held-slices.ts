/**
 * Which of a file's slices the node an upload goes to holds already, so a resumed upload (after a cancel,
 * a failure or a closed tab) sends only the rest. Slices are content-addressed: a slice the node holds is
 * the slice, whoever sent it. Asked once the slice hashes are known, over the node's HTTP endpoint
 * (`@stratos-edge/protocol`'s `fetchHeldSlices`).
 */
import type { SliceHash } from '@stratos-edge/core'
import { fetchHeldSlices } from '@stratos-edge/protocol'

/** What the node holds of the file. */
export interface HeldSliceNumbers {
  /** The node's peer id, from its answer. */
  peerId: string
  /** Slice numbers (from 1) the node holds. */
  numbers: Set<number>
}

/**
 * Asks the node at `url` which of `hashes` (slice 1 first) it holds. Undefined when there is no URL or
 * the node cannot answer (an older node, a network failure): then every slice is sent, as before.
 *
 * @example
 * ```ts
 * const held = await findHeldSlices(homeUrl, sliceHashes, signal)
 * const toSend = numbers.filter((n) => !held?.numbers.has(n))
 * ```
 */
export async function findHeldSlices(
  url: string | undefined,
  hashes: readonly SliceHash[],
  signal: AbortSignal,
): Promise<HeldSliceNumbers | undefined> {
  if (!url || hashes.length === 0) return undefined
  try {
    const { held, peerId } = await fetchHeldSlices(url, hashes, { signal })
    const have = new Set<string>(held)
    const numbers = new Set<number>()
    hashes.forEach((h, i) => {
      if (have.has(h)) numbers.add(i + 1)
    })
    return { peerId, numbers }
  } catch {
    return undefined
  }
}
