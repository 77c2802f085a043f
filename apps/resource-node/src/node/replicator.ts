import type { Libp2p } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import type { SliceHash } from '@stratos-edge/core'
import {
  isLibp2pAddress,
  openSlicePush,
  type PeerAddress,
  type SlicePushSession,
  type SliceStore,
} from '@stratos-edge/protocol'
import type { Logger } from '../logger.js'
import type { NodeMetrics } from './metrics.js'

/** Options of {@link createReplicator}. */
export interface ReplicatorInit {
  libp2p: Pick<Libp2p, 'dialProtocol' | 'peerStore' | 'peerId'>
  store: Pick<SliceStore, 'get'>
  logger: Logger
  metrics: NodeMetrics
  /** Most replications queued at once; more are dropped and counted (default 10 000). */
  maxQueued?: number
  /** Slices read from disk and in flight at once (default 8). */
  concurrency?: number
}

/** Copies stored slices to other resource nodes (node-to-node over TCP). */
export interface Replicator {
  /**
   * Copies a stored slice to `targets`; `ticket` (core's `encodeTicket`), the upload ticket that paid
   * for it, goes along so each replica spares the slice from eviction until its manifest comes.
   */
  replicate(hash: SliceHash, targets: PeerAddress[], ticket?: Uint8Array): void
  /** Resolves when nothing is queued or in flight. */
  idle(): Promise<void>
  /** Targets remembered: with an open session or pushes under way (tests, diagnostics). */
  readonly targetCount: number
  stop(): Promise<void>
}

interface Job {
  hash: SliceHash
  target: PeerAddress
  ticket?: Uint8Array
}

interface TargetState {
  session?: Promise<SlicePushSession>
  pending: number
  idleTimer?: ReturnType<typeof setTimeout>
}

/**
 * Creates the replicator: a slice pushed with `forward` targets is stored and acknowledged first, then
 * pushed on to each target (one reused, pipelined push stream per target; a failed push is retried once
 * on a fresh stream). The queue is bounded. The slice's ticket goes in the push header; the retry goes
 * without it, so a replica that refuses the ticket (an older node that does not take it from a
 * registered node: another issuer, expired meanwhile) still takes the copy as before.
 */
export function createReplicator(init: ReplicatorInit): Replicator {
  const { libp2p, store, logger, metrics } = init
  const maxQueued = init.maxQueued ?? 10_000
  const concurrency = init.concurrency ?? 8
  const targets = new Map<string, TargetState>()
  const queue: Job[] = []
  let running = 0
  let stopped = false
  const idleWaiters: Array<() => void> = []

  const session = async (t: PeerAddress, state: TargetState): Promise<SlicePushSession> => {
    if (!state.session) {
      const peer = peerIdFromString(t.peerId)
      const dialable = t.multiaddrs.filter(isLibp2pAddress)
      if (dialable.length > 0) {
        await libp2p.peerStore.merge(peer, { multiaddrs: dialable.map((a) => multiaddr(a)) })
      }
      state.session = openSlicePush(libp2p, peer, { window: 8 })
      state.session.catch(() => {
        state.session = undefined
      })
    }
    return state.session
  }

  const forget = (id: string, state: TargetState): void => {
    if (targets.get(id) === state) targets.delete(id)
  }

  const release = (id: string, state: TargetState): void => {
    state.pending--
    if (state.pending > 0) return
    clearTimeout(state.idleTimer)
    // No session (it failed or never opened): nothing to reuse, and forward lists name any peer ids, so
    // keeping the entry would let them pile up.
    if (!state.session) {
      forget(id, state)
      return
    }
    state.idleTimer = setTimeout(() => {
      if (state.pending > 0) return
      const s = state.session
      state.session = undefined
      forget(id, state)
      s?.then((x) => x.close()).catch(() => {})
    }, 2000)
  }

  const pushOnce = async (
    hash: SliceHash,
    t: PeerAddress,
    state: TargetState,
    ticket?: Uint8Array,
  ): Promise<void> => {
    const slice = await store.get(hash)
    if (!slice) throw new Error(`slice ${hash} vanished before replication`)
    const s = await session(t, state)
    try {
      await s.push(slice, ticket ? { ticket } : {})
    } catch (err) {
      s.abort(err as Error)
      state.session = undefined
      throw err
    }
  }

  const pump = (): void => {
    while (!stopped && running < concurrency && queue.length > 0) {
      const job = queue.shift() as Job
      running++
      const id = job.target.peerId
      let state = targets.get(id)
      if (!state) {
        state = { pending: 0 }
        targets.set(id, state)
      }
      state.pending++
      clearTimeout(state.idleTimer)
      const st = state
      pushOnce(job.hash, job.target, st, job.ticket)
        .catch(() => pushOnce(job.hash, job.target, st))
        .then(
          () => metrics.replications.inc({ result: 'ok' }),
          (err) => {
            metrics.replications.inc({ result: 'failed' })
            logger.warn('replication failed', { hash: job.hash, target: id, error: err })
          },
        )
        .finally(() => {
          running--
          release(id, st)
          if (running === 0 && queue.length === 0) for (const w of idleWaiters.splice(0)) w()
          pump()
        })
    }
  }

  return {
    replicate(hash, list, ticket) {
      for (const target of list) {
        if (target.peerId === libp2p.peerId.toString()) continue
        if (queue.length >= maxQueued) {
          metrics.replications.inc({ result: 'dropped' })
          logger.warn('replication queue full, dropping', { hash, target: target.peerId })
          continue
        }
        queue.push({ hash, target, ...(ticket ? { ticket } : {}) })
      }
      pump()
    },
    idle() {
      if (running === 0 && queue.length === 0) return Promise.resolve()
      return new Promise((resolve) => idleWaiters.push(resolve))
    },
    get targetCount() {
      return targets.size
    },
    async stop() {
      stopped = true
      queue.length = 0
      for (const [, state] of targets) {
        clearTimeout(state.idleTimer)
        state.session?.then((s) => s.abort()).catch(() => {})
      }
      targets.clear()
    },
  }
}
