/**
 * The meta service forwards an owner's signed delete to every registered resource node, so a client
 * that knows only the meta service reaches them all. Owed deletes are kept in a durable outbox
 * ({@link readDeleteOutbox}): a node that is down gets the delete when it announces itself again, or at
 * the next retry (exponential backoff). Each node has its own queue, in-flight bound and backoff, so one
 * that is down never holds up the others. Each node checks the owner's signature itself.
 */
import type { FileHash } from '@stratos-edge/core'
import { isErrorNamed } from '@stratos-edge/core'
import type { ProviderRecord } from '@stratos-edge/protocol'
import type { Logger } from '../logger.js'
import { type OwedDelete, readDeleteOutbox, writeDeleteOutbox } from './delete-outbox.js'

/**
 * How long a delete is kept for a node that has not acknowledged it, ms (30 days). Manifests have no
 * expiry of their own: a node keeps its copy until a delete reaches it. 30 days covers a node's outage
 * or a disk restored from a backup a few weeks old; a node away for longer should be wiped and rejoin.
 * Nodes accept a delete this old only from their meta service (see `createManifestDeleter`).
 */
export const DELETE_RETENTION_MS = 30 * 24 * 3600_000

/**
 * Errors that say the node will never take this delete: retrying cannot help. `DeleteExpiredError` is
 * not one: a node that does not know this meta service's peer id yet judges a relayed delete by core's
 * short window; it is retried with backoff until the retention ends.
 */
const FINAL_ERRORS = ['NotOwnerError', 'WrongNetworkError', 'DecodeError']

/** Options of {@link createDeleteForwarder}. */
export interface DeleteForwarderInit {
  /** The outbox file (see `deleteOutboxPath`). */
  path: string
  /**
   * Sends under way to one node at once (default 2). Each node has its own queue: a node that is down
   * holds only its own slots, and sends to the others go on.
   */
  maxParallelPerTarget?: number
  /**
   * First retry after a failure, ms (default 1 000); doubled per failure up to `maxBackoffMs`, both for
   * the delete that failed and for its node (a node that failed is tried again, with one delete, only
   * when its backoff is over; an answer from it clears its backoff).
   */
  firstBackoffMs?: number
  /** Longest wait between retries, ms (default 5 minutes). */
  maxBackoffMs?: number
  /** Default {@link DELETE_RETENTION_MS}. */
  retentionMs?: number
  /** Most deletes owed at once (default 4 096); beyond, the oldest is given up (logged and counted). */
  maxDeletes?: number
  /** Unix ms; default Date.now. */
  now?: () => number
}

/** Edges of {@link createDeleteForwarder}. */
export interface DeleteForwarderComponents {
  /** The registered resource nodes to forward to (this node excluded), with their known addresses. */
  targets(): ProviderRecord[]
  /**
   * Sends the signed delete to a node; resolves once the node answered (dropped or not). It is sent as
   * relayed by this meta service: a node that refuses it as too old does not know this meta service's
   * peer id yet, so `DeleteExpiredError` is retried (until the retention ends), not taken as final.
   */
  send(target: ProviderRecord, request: Uint8Array, signal: AbortSignal): Promise<void>
  logger: Logger
}

/** What the forwarder gave up on since it started (for `/metrics`). */
export interface DeleteForwarderCounters {
  /** Deletes dropped, still owed to some node, because more than `maxDeletes` were owed. */
  droppedOverCount: number
  /** Deletes dropped, still owed to some node, because their retention ended. */
  droppedExpired: number
  /** Node × delete pairs a node refused for good (not its owner, wrong network, garbage). */
  refused: number
}

/** The meta service's delete forwarding. */
export interface DeleteForwarder {
  /** Loads the outbox and sends what is owed. */
  start(): Promise<void>
  /** Stops sending (what is owed stays in the outbox). */
  stop(): Promise<void>
  /**
   * Records the delete as owed to every target (durably: rejects when the outbox write fails) and
   * starts sending it.
   */
  forward(del: { fileHash: FileHash; owner: string; request: Uint8Array }): Promise<void>
  /** A node was heard from: what it is owed is sent now. */
  peerSeen(peerId: string): void
  /** Node × delete pairs still owed. */
  owed(): number
  /** What was given up on since the start. */
  readonly counters: Readonly<DeleteForwarderCounters>
}

/** A node's queue state: its sends under way and its backoff. */
interface TargetState {
  running: number
  failures: number
  /** Unix ms before which nothing is sent to it. */
  nextAt: number
}

/**
 * Creates the forwarder.
 *
 * @example
 * ```ts
 * const forwarder = createDeleteForwarder({ path: deleteOutboxPath(dataDir) }, { targets, send, logger })
 * await forwarder.start()
 * await forwarder.forward({ fileHash, owner, request })
 * ```
 */
export function createDeleteForwarder(
  init: DeleteForwarderInit,
  components: DeleteForwarderComponents,
): DeleteForwarder {
  const { logger } = components
  const now = init.now ?? Date.now
  const perTarget = init.maxParallelPerTarget ?? 2
  const firstBackoff = init.firstBackoffMs ?? 1000
  const maxBackoff = init.maxBackoffMs ?? 5 * 60_000
  const retention = init.retentionMs ?? DELETE_RETENTION_MS
  const maxDeletes = init.maxDeletes ?? 4096
  const backoff = (failures: number) => Math.min(maxBackoff, firstBackoff * 2 ** (failures - 1))
  const counters: DeleteForwarderCounters = { droppedOverCount: 0, droppedExpired: 0, refused: 0 }
  let deletes: OwedDelete[] = []
  /** `<peer> <file> <owner>` of sends under way. */
  const sending = new Set<string>()
  /** Per node; forgotten when nothing is owed to it and nothing runs. */
  const targetStates = new Map<string, TargetState>()
  let stopped = true
  let timer: ReturnType<typeof setTimeout> | undefined
  let abort = new AbortController()
  /** Sends under way (awaited on stop: each writes the outbox when it ends). */
  const inflight = new Set<Promise<void>>()
  /** The last outbox write started or queued (writes run one after another). */
  let lastWrite: Promise<void> = Promise.resolve()
  /** A write queued behind the one running: later saves join it (it writes the state as of its start). */
  let queuedWrite: Promise<void> | undefined

  const keyOf = (peerId: string, d: OwedDelete) => `${peerId} ${d.fileHash} ${d.owner}`
  const stateOf = (peerId: string): TargetState => {
    let st = targetStates.get(peerId)
    if (!st) {
      st = { running: 0, failures: 0, nextAt: 0 }
      targetStates.set(peerId, st)
    }
    return st
  }

  /**
   * Writes the outbox; rejects when the write fails (ENOSPC, EIO), so `forward` does not claim
   * durability. Saves made while a write runs are batched into one write after it.
   */
  function save(): Promise<void> {
    if (queuedWrite) return queuedWrite
    const write = lastWrite
      .catch(() => {})
      .then(() => {
        queuedWrite = undefined
        const snapshot = deletes.map((d) => ({ ...d, owed: new Map(d.owed) }))
        return writeDeleteOutbox(init.path, snapshot)
      })
    queuedWrite = write
    lastWrite = write
    return write
  }

  /** A save after a send: a failure is logged (the next save writes the state again). */
  const saveQuietly = () =>
    save().catch((error: unknown) => logger.warn('delete outbox not written', { error }))

  /** Drops deletes every node acknowledged, and those past retention or over the count (logged). */
  function prune(): boolean {
    const before = deletes.length
    const t = now()
    deletes = deletes.filter((d) => {
      if (d.owed.size === 0) return false
      if (t - d.takenAt <= retention) return true
      counters.droppedExpired++
      logger.warn('delete given up: retention ended', { fileHash: d.fileHash, peers: [...d.owed.keys()] })
      return false
    })
    if (deletes.length > maxDeletes) {
      const over = deletes.slice(0, deletes.length - maxDeletes)
      counters.droppedOverCount += over.length
      logger.warn('deletes given up: too many owed', {
        dropped: over.length,
        maxDeletes,
        oldest: over[0]?.fileHash,
      })
      deletes = deletes.slice(over.length)
    }
    return deletes.length !== before
  }

  async function sendOne(peerId: string, d: OwedDelete): Promise<void> {
    const key = keyOf(peerId, d)
    const st = stateOf(peerId)
    sending.add(key)
    st.running++
    const target = components.targets().find((p) => p.peerId === peerId) ?? {
      peerId,
      kind: 'resource' as const,
      multiaddrs: [],
    }
    try {
      await components.send(target, d.request, abort.signal)
      d.owed.delete(peerId)
      st.failures = 0
      st.nextAt = 0
      logger.debug('delete forwarded', { fileHash: d.fileHash, peer: peerId })
    } catch (error) {
      if (stopped) return
      const owed = d.owed.get(peerId)
      if (!owed) return
      if (FINAL_ERRORS.some((name) => isErrorNamed(error, name))) {
        // The node answered: it is up, only this delete is refused.
        st.failures = 0
        st.nextAt = 0
        counters.refused++
        logger.warn('delete refused by a node: not sent again', { fileHash: d.fileHash, peer: peerId, error })
        d.owed.delete(peerId)
      } else if (isErrorNamed(error, 'DeleteExpiredError')) {
        // The node answered (it is up) but takes this relayed delete only once it knows our peer id: it
        // is probed one delete at a time, as a node down is, until it does.
        owed.attempts++
        owed.nextAt = now() + backoff(owed.attempts)
        st.failures++
        st.nextAt = Math.max(st.nextAt, now() + backoff(st.failures))
        logger.info('relayed delete refused as too old: retried', { fileHash: d.fileHash, peer: peerId })
      } else {
        owed.attempts++
        owed.nextAt = now() + backoff(owed.attempts)
        st.failures++
        st.nextAt = Math.max(st.nextAt, now() + backoff(st.failures))
        logger.debug('delete not forwarded yet', { fileHash: d.fileHash, peer: peerId, error })
      }
    } finally {
      sending.delete(key)
      st.running--
    }
    prune()
    pump() // the next sends need not wait for this write (acknowledgements are batched into one)
    await saveQuietly()
  }

  /**
   * Starts due sends, oldest delete first within each node's queue, up to each node's bound, and sets
   * the timer for the next one due.
   */
  function pump(): void {
    if (stopped) return
    if (timer) clearTimeout(timer)
    timer = undefined
    const t = now()
    let next = Number.POSITIVE_INFINITY
    const owedTo = new Set<string>()
    for (const d of deletes) {
      for (const [peerId, owed] of d.owed) {
        owedTo.add(peerId)
        if (sending.has(keyOf(peerId, d))) continue
        const st = stateOf(peerId)
        const due = Math.max(owed.nextAt, st.nextAt)
        if (due > t) {
          next = Math.min(next, due)
          continue
        }
        if (st.running >= perTarget) continue // each send that ends pumps again
        // A node in backoff is tried with one delete; the others wait for its answer.
        if (st.failures > 0 && st.running > 0) continue
        const running = sendOne(peerId, d).finally(() => inflight.delete(running))
        inflight.add(running)
      }
    }
    for (const [peerId, st] of targetStates)
      if (st.running === 0 && !owedTo.has(peerId)) targetStates.delete(peerId)
    if (Number.isFinite(next)) timer = setTimeout(pump, Math.max(10, next - t))
  }

  return {
    async start() {
      stopped = false
      abort = new AbortController()
      deletes = await readDeleteOutbox(init.path)
      if (prune()) await saveQuietly()
      pump()
    },
    async stop() {
      stopped = true
      if (timer) clearTimeout(timer)
      abort.abort()
      await Promise.allSettled([...inflight])
      await lastWrite.catch(() => {})
    },
    async forward({ fileHash, owner, request }) {
      const t = now()
      const owed = new Map(components.targets().map((p) => [p.peerId, { attempts: 0, nextAt: t }]))
      // The same owner's delete of the same file again replaces the one owed (a retry, or a later one).
      deletes = deletes.filter((d) => !(d.fileHash === fileHash && d.owner === owner))
      deletes.push({ fileHash, owner, request, takenAt: t, owed })
      prune()
      await save()
      pump()
    },
    peerSeen(peerId) {
      let due = false
      const st = targetStates.get(peerId)
      if (st && st.nextAt > now()) {
        st.nextAt = now()
        due = true
      }
      for (const d of deletes) {
        const owed = d.owed.get(peerId)
        if (owed && owed.nextAt > now()) {
          owed.nextAt = now()
          due = true
        }
      }
      if (due) pump()
    },
    owed: () => deletes.reduce((n, d) => n + d.owed.size, 0),
    counters,
  }
}
