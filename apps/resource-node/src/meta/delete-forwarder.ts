/**
 * The meta service forwards an owner's signed delete to every registered resource node, so a client
 * that knows only the meta service reaches them all. Owed deletes are kept in a durable outbox
 * ({@link readDeleteOutbox}): a node that is down gets the delete when it announces itself again, or at
 * the next retry (exponential backoff). Each node checks the owner's signature itself.
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

/** Errors that say the node will never take this delete: retrying cannot help. */
const FINAL_ERRORS = ['NotOwnerError', 'WrongNetworkError', 'DeleteExpiredError', 'DecodeError']

/** Options of {@link createDeleteForwarder}. */
export interface DeleteForwarderInit {
  /** The outbox file (see `deleteOutboxPath`). */
  path: string
  /** Deletes sent at once, over all nodes (default 4). */
  maxParallel?: number
  /** First retry after a failure, ms (default 1 000); doubled per failure up to `maxBackoffMs`. */
  firstBackoffMs?: number
  /** Longest wait between retries, ms (default 5 minutes). */
  maxBackoffMs?: number
  /** Default {@link DELETE_RETENTION_MS}. */
  retentionMs?: number
  /** Most deletes owed at once (default 4 096); beyond, the oldest is given up. */
  maxDeletes?: number
  /** Unix ms; default Date.now. */
  now?: () => number
}

/** Edges of {@link createDeleteForwarder}. */
export interface DeleteForwarderComponents {
  /** The registered resource nodes to forward to (this node excluded), with their known addresses. */
  targets(): ProviderRecord[]
  /** Sends the signed delete to a node; resolves once the node answered (dropped or not). */
  send(target: ProviderRecord, request: Uint8Array, signal: AbortSignal): Promise<void>
  logger: Logger
}

/** The meta service's delete forwarding. */
export interface DeleteForwarder {
  /** Loads the outbox and sends what is owed. */
  start(): Promise<void>
  /** Stops sending (what is owed stays in the outbox). */
  stop(): Promise<void>
  /** Records the delete as owed to every target (durably: rejects when the outbox write fails) and starts sending it. */
  forward(del: { fileHash: FileHash; owner: string; request: Uint8Array }): Promise<void>
  /** A node was heard from: what it is owed is sent now. */
  peerSeen(peerId: string): void
  /** Node × delete pairs still owed. */
  owed(): number
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
  const maxParallel = init.maxParallel ?? 4
  const firstBackoff = init.firstBackoffMs ?? 1000
  const maxBackoff = init.maxBackoffMs ?? 5 * 60_000
  const retention = init.retentionMs ?? DELETE_RETENTION_MS
  const maxDeletes = init.maxDeletes ?? 4096
  let deletes: OwedDelete[] = []
  /** `<peer> <file> <owner>` of sends under way. */
  const sending = new Set<string>()
  let stopped = true
  let timer: ReturnType<typeof setTimeout> | undefined
  let abort = new AbortController()
  /** Sends under way (awaited on stop: each writes the outbox when it ends). */
  const inflight = new Set<Promise<void>>()
  /** Outbox writes, one after another, the last state always written last. */
  let saving: Promise<void> = Promise.resolve()

  const keyOf = (peerId: string, d: OwedDelete) => `${peerId} ${d.fileHash} ${d.owner}`

  /** Writes the outbox; rejects when the write fails (ENOSPC, EIO), so `forward` does not claim durability. */
  function save(): Promise<void> {
    const snapshot = deletes.map((d) => ({ ...d, owed: new Map(d.owed) }))
    const write = saving.then(() => writeDeleteOutbox(init.path, snapshot))
    saving = write.catch(() => {})
    return write
  }

  /** A save after a send: a failure is logged (the next save writes the state again). */
  const saveQuietly = () =>
    save().catch((error: unknown) => logger.warn('delete outbox not written', { error }))

  /** Drops deletes every node acknowledged, and those past retention or over the count. */
  function prune(): boolean {
    const before = deletes.length
    const t = now()
    deletes = deletes.filter((d) => d.owed.size > 0 && t - d.takenAt <= retention)
    if (deletes.length > maxDeletes) deletes = deletes.slice(deletes.length - maxDeletes)
    return deletes.length !== before
  }

  async function sendOne(peerId: string, d: OwedDelete): Promise<void> {
    const key = keyOf(peerId, d)
    sending.add(key)
    const target = components.targets().find((p) => p.peerId === peerId) ?? {
      peerId,
      kind: 'resource' as const,
      multiaddrs: [],
    }
    try {
      await components.send(target, d.request, abort.signal)
      d.owed.delete(peerId)
      logger.debug('delete forwarded', { fileHash: d.fileHash, peer: peerId })
    } catch (error) {
      if (stopped) return
      const owed = d.owed.get(peerId)
      if (!owed) return
      if (FINAL_ERRORS.some((name) => isErrorNamed(error, name))) {
        logger.warn('delete refused by a node: not sent again', { fileHash: d.fileHash, peer: peerId, error })
        d.owed.delete(peerId)
      } else {
        owed.attempts++
        owed.nextAt = now() + Math.min(maxBackoff, firstBackoff * 2 ** (owed.attempts - 1))
        logger.debug('delete not forwarded yet', { fileHash: d.fileHash, peer: peerId, error })
      }
    } finally {
      sending.delete(key)
    }
    prune()
    await saveQuietly()
    pump()
  }

  /** Starts due sends up to the parallelism bound, and sets the timer for the next one due. */
  function pump(): void {
    if (stopped) return
    if (timer) clearTimeout(timer)
    timer = undefined
    const t = now()
    let next = Number.POSITIVE_INFINITY
    for (const d of deletes) {
      for (const [peerId, owed] of d.owed) {
        if (sending.has(keyOf(peerId, d))) continue
        if (owed.nextAt > t) {
          next = Math.min(next, owed.nextAt)
          continue
        }
        if (sending.size >= maxParallel) return // each send that ends pumps again
        const running = sendOne(peerId, d).finally(() => inflight.delete(running))
        inflight.add(running)
      }
    }
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
      await saving
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
  }
}
