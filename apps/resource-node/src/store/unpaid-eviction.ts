import type { FileHash, SliceHash } from '@stratos-edge/core'
import type { SliceInfo } from '@stratos-edge/protocol'
import type { Logger } from '../logger.js'
import type { NodeMetrics } from '../node/metrics.js'
import type { DiskSliceStore } from './disk-slice-store.js'
import type { FileManifests } from './file-manifests.js'

/** Options of {@link createUnpaidEviction}. */
export interface UnpaidEvictionInit {
  /** A slice no stored manifest lists is evicted this long after it was stored, ms (0: only for room). */
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
}

/** Components of {@link createUnpaidEviction}. */
export interface UnpaidEvictionComponents {
  store: Pick<DiskSliceStore, 'list' | 'storedAt' | 'delete' | 'usedBytes' | 'maxBytes'>
  manifests: FileManifests
  metrics?: Pick<NodeMetrics, 'slicesEvicted'>
  logger?: Logger
  now?: () => number
}

/** Evicts slices that nothing paid for. Paid slices (listed by a stored manifest) are never touched. */
export interface UnpaidEviction {
  /** Evicts the unpaid slices older than the grace period; resolves with how many went. */
  sweep(): Promise<number>
  /**
   * Evicts the oldest unpaid slices (past `minAgeForRoomMs`) until `bytes` more fit the disk budget;
   * true when they fit now. Calls run one after another.
   */
  makeRoom(bytes: number): Promise<boolean>
  start(): void
  stop(): Promise<void>
}

/** How long a file's "no manifest lists this slice" answer is used again, ms: a manifest may come. */
const UNPAID_KEPT_MS = 10_000
/** Files whose paid slices are remembered at once (a manifest once stored stays: kept until pushed out). */
const PAID_KEPT_FILES = 65_536

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
  const sweepEveryMs = init.sweepEveryMs ?? Math.min(300_000, Math.max(250, graceMs / 4))
  const minAgeForRoomMs = Math.min(init.minAgeForRoomMs ?? 60_000, graceMs > 0 ? graceMs : Infinity)
  const maxFiles = init.maxFilesPerPass ?? 1024
  /** Per file, the slice hashes its stored manifests list (most recently used last). */
  const paid = new Map<FileHash, Set<SliceHash>>()
  /** Files with no manifest (or none listing some of their slices), by when that was seen. */
  const unpaidSeen = new Map<FileHash, { at: number; listed: Set<SliceHash> }>()

  /** The hashes a file's manifests list, or undefined when that cannot be known now. */
  const listedOf = async (fileHash: FileHash): Promise<Set<SliceHash> | undefined> => {
    const known = paid.get(fileHash)
    if (known) return known
    const seen = unpaidSeen.get(fileHash)
    if (seen && now() - seen.at < UNPAID_KEPT_MS) return seen.listed
    const found = await manifests.of(fileHash).catch(() => undefined)
    if (found === undefined) return undefined
    const listed = new Set(found.flatMap((m) => m.slices.map((s) => s.hash)))
    if (found.length > 0) {
      paid.set(fileHash, listed)
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
      if (paid.get(s.fileHash)?.has(s.hash)) continue
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
      if (listed === undefined || listed.has(s.hash)) continue
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
      if (fits(bytes)()) return Promise.resolve(true)
      return serial(async () => {
        await evict(now() - minAgeForRoomMs, 'room', fits(bytes))
        return fits(bytes)()
      })
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
