import type { Libp2p } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { SliceHash } from '@stratos-edge/core'
import { createIndexClient } from '@stratos-edge/protocol'
import type { Logger } from '../logger.js'
import type { DiskSliceStore } from '../store/disk-slice-store.js'

/** Options of {@link createAnnouncer}. */
export interface AnnouncerInit {
  libp2p: Pick<Libp2p, 'dialProtocol' | 'getMultiaddrs'>
  meta: Multiaddr
  store: DiskSliceStore
  logger: Logger
  /** Addresses to announce besides libp2p's own (the HTTP upload endpoint). */
  extraAddresses?: () => string[]
  /** How often new slices are announced, ms (default 500). */
  flushIntervalMs?: number
  /** How often the full list and free space are re-announced, ms (default 30 000). */
  refreshIntervalMs?: number
}

/** Keeps a remote meta service told what this resource node holds and how much room it has. */
export interface Announcer {
  start(): void
  added(hash: SliceHash): void
  /** A slice left the store: withdraw it. */
  removed(hash: SliceHash): void
  /** Announces whatever is pending now. */
  flush(): Promise<void>
  stop(): void
}

/**
 * Announces this node to the meta service at `meta`: the full slice list on start and every refresh
 * interval (`replace`), new slices in small batches as they are stored.
 */
export function createAnnouncer(init: AnnouncerInit): Announcer {
  const index = createIndexClient(init.libp2p, init.meta)
  const pending = new Set<SliceHash>()
  const gone = new Set<SliceHash>()
  let needFull = true
  let busy: Promise<void> | undefined
  let timers: ReturnType<typeof setInterval>[] = []

  const base = () => ({
    kind: 'resource' as const,
    multiaddrs: [...(init.extraAddresses?.() ?? []), ...init.libp2p.getMultiaddrs().map(String)].slice(0, 32),
    freeBytes: Math.max(0, init.store.maxBytes - init.store.usedBytes),
  })

  async function run(): Promise<void> {
    if (needFull) {
      pending.clear()
      await index.announce({ ...base(), replace: true, hashes: init.store.list().map((s) => s.hash) })
      needFull = false
      init.logger.info('announced to meta service', { slices: init.store.sliceCount })
      return
    }
    if (gone.size > 0) {
      const withdrawn = [...gone]
      gone.clear()
      try {
        await index.withdraw(withdrawn)
      } catch (err) {
        for (const h of withdrawn) gone.add(h)
        throw err
      }
    }
    if (pending.size === 0) return
    const hashes = [...pending]
    pending.clear()
    try {
      await index.announce({ ...base(), replace: false, hashes })
    } catch (err) {
      for (const h of hashes) pending.add(h)
      throw err
    }
  }

  const flush = async (): Promise<void> => {
    while (busy) await busy
    busy = run()
      .catch((err) => init.logger.warn('announce failed, will retry', { error: err }))
      .finally(() => {
        busy = undefined
      })
    await busy
  }

  return {
    start() {
      void flush()
      timers = [
        setInterval(() => void flush(), init.flushIntervalMs ?? 500),
        setInterval(() => {
          needFull = true
          void flush()
        }, init.refreshIntervalMs ?? 30_000),
      ]
    },
    added(hash) {
      gone.delete(hash)
      pending.add(hash)
    },
    removed(hash) {
      pending.delete(hash)
      gone.add(hash)
    },
    flush,
    stop() {
      for (const t of timers) clearInterval(t)
      timers = []
    },
  }
}
