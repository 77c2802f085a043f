import type { FileHash, SliceHash } from '@stratos-edge/core'
import type { SliceInfo } from '@stratos-edge/protocol'
import type { Logger } from '../logger.js'
import type { NodeMetrics } from '../node/metrics.js'
import type { DiskSliceStore } from './disk-slice-store.js'
import type { FileManifests } from './file-manifests.js'

/** Options of {@link createUnpaidEviction}. */
export interface UnpaidEvictionInit {
  /** A slice no stored manifest lists is evicted this long after it was stored, ms (0: never evicted). */
  graceMs: number
  /** How often the store is swept, ms (default a quarter of the grace, 250 ms to 5 minutes). */
  sweepEveryMs?: number
  /**
   * Slices younger than this are never evicted for room, ms (default 60 000, at most the grace): an upload
   * in progress sends its manifest only after its last slice.
   */
  minAgeForRoomMs?: number
  /** Files whose manifests one sweep or one call for room looks up, at most (default 1024). */
  maxFilesPerPass?: number
  /**
   * A file an upload ticket was admitted for is paid until the ticket expires plus this, ms (default
   * 10 minutes): its manifest comes only after the last slice and the owner's signature.
   */
  ticketMarginMs?: number
}

/** Components of {@link createUnpaidEviction}. */
export interface UnpaidEvictionComponents {
  store: Pick<DiskSliceStore, 'list' | 'storedAt' | 'delete' | 'usedBytes' | 'maxBytes'>
  manifests: FileManifests
  metrics?: Pick<NodeMetrics, 'slicesEvicted'>
  logger?: Logger
  now?: () => number
  /**
   * When the latest upload ticket admitted for a file expires, ms since the epoch (undefined: none). Its
   * slices are paid until then plus `ticketMarginMs`, though no manifest lists them yet.
   */
  ticketExpiry?: (fileHash: FileHash) => number | undefined
}

/**
 * Evicts slices that nothing paid for. Paid slices (listed by a stored manifest, or of a file an upload
 * ticket was admitted for, until it expires plus a margin) are never touched.
 */
export interface UnpaidEviction {
  /** Evicts the unpaid slices older than the grace period; resolves with how many went. */
  sweep(): Promise<number>
  /**
   * Evicts the oldest unpaid slices (past `minAgeForRoomMs`) until `bytes` more fit the disk budget;
   * true when they fit now. Calls run one after another.
   */
  makeRoom(bytes: number): Promise<boolean>
  /** Forgets what is known of a file's manifests (one was deleted): its slices are looked up again. */
  forget(fileHash: FileHash): void
  start(): void
  stop(): Promise<void>
}

/** How long a file's "no manifest lists this slice" answer is used again, ms: a manifest may come. */
const UNPAID_KEPT_MS = 10_000
/** Files whose paid slices are remembered at once (a manifest once stored stays: kept until pushed out). */
const PAID_KEPT_FILES = 65_536
/** How long a file's paid slices are used again before they are looked up anew, ms: a manifest may go. */
const PAID_KEPT_MS = 15 * 60_000

/**
 * Creates the eviction of unpaid slices: a slice stored under no committed manifest (an abandoned staged
 * upload, slices pushed whose manifest never came) goes after the grace period, and when the disk budget is
 * full the oldest of them go first, before an upload is refused with 507. A file whose manifests cannot be
 * looked up (the meta service unreachable) is left alone.
 *
 * @example
 * ```ts
 * const eviction = createUnpaidEviction({ graceMs: 3_600_000 }, { store, manifests })
 * eviction.start()
 * if (!(await eviction.makeRoom(slice.size))) throw new StoreFullError('…')
 * ```
 */
export function createUnpaidEviction(
  init: UnpaidEvictionInit,
  components: UnpaidEvictionComponents,
): UnpaidEviction {
  const { store, manifests, metrics, logger } = components
  const now = components.now ?? Date.now
  const graceMs = init.graceMs
  const ticketMarginMs = init.ticketMarginMs ?? 600_000
  /** True while an upload ticket admitted for the file (plus the margin) has not expired. */
  const ticketed = (fileHash: FileHash): boolean => {
    const expiry = components.ticketExpiry?.(fileHash)
    return expiry !== undefined && now() < expiry + ticketMarginMs
  }
  const sweepEveryMs = init.sweepEveryMs ?? Math.min(300_000, Math.max(250, graceMs / 4))
  const minAgeForRoomMs = Math.min(init.minAgeForRoomMs ?? 60_000, graceMs > 0 ? graceMs : Infinity)
  const maxFiles = init.maxFilesPerPass ?? 1024
  /** Per file, the slice hashes its stored manifests list, and when that was seen (oldest first). */
  const paid = new Map<FileHash, { at: number; listed: Set<SliceHash> }>()
  const paidListed = (fileHash: FileHash): Set<SliceHash> | undefined => {
    const known = paid.get(fileHash)
    if (known && now() - known.at < PAID_KEPT_MS) return known.listed
    return undefined
  }
  /** Files with no manifest (or none listing some of their slices), by when that was seen. */
  const unpaidSeen = new Map<FileHash, { at: number; listed: Set<SliceHash> }>()

  /** The hashes a file's manifests list, or undefined when that cannot be known now. */
  const listedOf = async (fileHash: FileHash): Promise<Set<SliceHash> | undefined> => {
    const known = paidListed(fileHash)
    if (known) return known
    const seen = unpaidSeen.get(fileHash)
    if (seen && now() - seen.at < UNPAID_KEPT_MS) return seen.listed
    const found = await manifests.of(fileHash).catch(() => undefined)
    if (found === undefined) return undefined
    const listed = new Set(found.flatMap((m) => m.slices.map((s) => s.hash)))
    if (found.length > 0) {
      paid.delete(fileHash)
      paid.set(fileHash, { at: now(), listed })
      if (paid.size > PAID_KEPT_FILES) paid.delete(paid.keys().next().value as FileHash)
    }
    unpaidSeen.set(fileHash, { at: now(), listed })
    if (unpaidSeen.size > PAID_KEPT_FILES) unpaidSeen.delete(unpaidSeen.keys().next().value as FileHash)
    return listed
  }

  /**
   * Evicts unpaid slices stored before `olderThan`, oldest first, while `enough()` is false; looks up at
   * most `maxFiles` files. Returns how many went.
   */
  const evict = async (
    olderThan: number,
    reason: 'grace' | 'room',
    enough: () => boolean,
  ): Promise<number> => {
    const candidates: Array<SliceInfo & { at: number }> = []
    for (const s of store.list()) {
      const at = store.storedAt(s.hash)
      if (at === undefined || at > olderThan) continue
      if (paidListed(s.fileHash)?.has(s.hash) || ticketed(s.fileHash)) continue
      candidates.push({ ...s, at })
    }
    candidates.sort((a, b) => a.at - b.at)
    let evicted = 0
    const looked = new Set<FileHash>()
    for (const s of candidates) {
      if (enough()) break
      if (!looked.has(s.fileHash)) {
        if (looked.size >= maxFiles) continue
        looked.add(s.fileHash)
      }
      const listed = await listedOf(s.fileHash)
      if (listed === undefined || listed.has(s.hash) || ticketed(s.fileHash)) continue
      if (await store.delete(s.hash)) {
        evicted++
        metrics?.slicesEvicted.inc({ reason })
      }
    }
    if (evicted > 0) logger?.info('unpaid slices evicted', { reason, evicted })
    return evicted
  }

  let queue: Promise<unknown> = Promise.resolve()
  /** One pass at a time: a sweep and calls for room do not look up and delete the same slices twice. */
  const serial = <T>(run: () => Promise<T>): Promise<T> => {
    const p = queue.then(run, run)
    queue = p.catch(() => {})
    return p
  }
  const fits = (bytes: number) => () => store.maxBytes - store.usedBytes >= bytes

  let timer: ReturnType<typeof setInterval> | undefined
  let sweeping: Promise<number> | undefined
  const sweep = (): Promise<number> =>
    graceMs > 0 ? serial(() => evict(now() - graceMs, 'grace', () => false)) : Promise.resolve(0)

  return {
    sweep,
    makeRoom(bytes) {
      // No grace means nothing is ever evicted, for room neither (`--unpaid-grace 0`).
      if (fits(bytes)() || graceMs <= 0) return Promise.resolve(fits(bytes)())
      return serial(async () => {
        await evict(now() - minAgeForRoomMs, 'room', fits(bytes))
        return fits(bytes)()
      })
    },
    forget(fileHash) {
      paid.delete(fileHash)
      unpaidSeen.delete(fileHash)
    },
    start() {
      if (graceMs <= 0 || timer) return
      timer = setInterval(() => {
        if (sweeping) return
        sweeping = sweep()
          .catch((error: unknown) => logger?.warn('unpaid slice sweep failed', { error }))
          .then(() => 0)
          .finally(() => {
            sweeping = undefined
          })
      }, sweepEveryMs)
      timer.unref?.()
    },
    async stop() {
      clearInterval(timer)
      timer = undefined
      await sweeping
      await queue
    },
  }
}
