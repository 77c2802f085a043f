import type { Libp2p } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import { asFileHash, type SliceHash } from '@stratos-edge/core'
import { createIndexClient, type IndexClient } from '@stratos-edge/protocol'
import type { NetworkIndex, ProviderInfo } from './network-index.js'
import { retryRateLimited } from './read/rate-limited-retry.js'

/**
 * A meta service's per-peer limit (`RateLimitedError` with its wait) is waited out this many times per
 * node before the next node is asked; a wait longer than {@link MAX_INDEX_WAIT_MS} is not waited for.
 */
const INDEX_RATE_LIMIT_RETRIES = 3
const MAX_INDEX_WAIT_MS = 10_000

/** Options of {@link createNetworkIndex}. */
export interface NetworkIndexInit {
  /** Resource node multiaddrs; the first reachable one's meta service is asked. */
  resourceNodes: string[]
  /** This node's dialable addresses (relayed WebRTC), sent with announcements. */
  selfAddresses(): string[]
  /** Bytes this node can still take, sent with announcements. */
  freeBytes(): number
  /** Time allowed for one index request; default 10 s. */
  timeoutMs?: number
}

/**
 * The meta service's index over the protocol package's index client. A node's per-peer limit on index
 * requests is waited out (a few times, each wait at most 10 s) before the next node is asked.
 */
export function createNetworkIndex(libp2p: Libp2p, init: NetworkIndexInit): NetworkIndex {
  const clients: IndexClient[] = init.resourceNodes.map((a) => createIndexClient(libp2p, multiaddr(a)))
  const peerIds = init.resourceNodes.map(
    (a) =>
      multiaddr(a)
        .getComponents()
        .findLast((c) => c.name === 'p2p')?.value ?? a,
  )
  const timeout = init.timeoutMs ?? 10_000
  const never = new AbortController().signal
  const first = async <T>(fn: (c: IndexClient) => Promise<T>, signal?: AbortSignal): Promise<T> => {
    let last: unknown = new Error('No resource node configured')
    for (const c of clients) {
      signal?.throwIfAborted()
      try {
        return await retryRateLimited(() => fn(c), signal ?? never, {
          retries: INDEX_RATE_LIMIT_RETRIES,
          maxWaitMs: MAX_INDEX_WAIT_MS,
        })
      } catch (err) {
        last = err
        if ((err as Error)?.name === 'SliceNotFoundError') throw err
      }
    }
    signal?.throwIfAborted()
    throw last
  }
  return {
    async announce(hashes, options = {}) {
      const replace = options.replace === true
      const multiaddrs = init.selfAddresses()
      // An empty replacement still clears what the index listed before.
      if (multiaddrs.length === 0 || (hashes.length === 0 && !replace)) return
      await first((c) =>
        c.announce(
          {
            kind: 'light',
            multiaddrs,
            freeBytes: init.freeBytes(),
            replace,
            hashes: hashes as SliceHash[],
          },
          { timeout },
        ),
      )
    },
    async withdraw(hashes) {
      if (hashes.length === 0) return
      await first((c) => c.withdraw(hashes as SliceHash[], { timeout }))
    },
    async lookup(hashes) {
      const found = await first((c) => c.lookup(hashes as SliceHash[], { timeout }))
      const out = new Map<string, ProviderInfo[]>()
      for (const [hash, records] of found) {
        out.set(
          hash,
          records.map((r) => ({ peerId: r.peerId, multiaddrs: r.multiaddrs, kind: r.kind })),
        )
      }
      return out
    },
    async place(fileHash, size, replicas) {
      const placed = await first((c) =>
        c.place({ fileHash: asFileHash(fileHash), size, replicas }, { timeout }),
      )
      return placed.map((r) => ({ peerId: r.peerId, multiaddrs: r.multiaddrs, kind: r.kind }))
    },
    async putManifest(bytes, ticket) {
      await first((c) => c.putManifest(bytes, { timeout, ...(ticket ? { ticket } : {}) }))
    },
    requestTicket: (request) => first((c) => c.requestTicket(request, { timeout })),
    async deleteManifest(request) {
      const answers = await Promise.allSettled(clients.map((c) => c.deleteManifest(request, { timeout })))
      const refused = answers.filter((a) => a.status === 'rejected')
      if (refused.length === answers.length)
        throw refused.at(-1)?.reason ?? new Error('No resource node configured')
      return peerIds.filter((_, i) => {
        const a = answers[i]
        return a?.status === 'fulfilled' && a.value
      })
    },
    requestDownloadTicket: (request, signal) =>
      first((c) => c.requestDownloadTicket(request, { timeout, ...(signal ? { signal } : {}) }), signal),
    submitReceipts: (receipts) => first((c) => c.submitReceipts(receipts, { timeout })),
    trafficStatus: (account) => first((c) => c.trafficStatus(account, { timeout })),
    registerNodeOwner: (binding) => first((c) => c.registerNodeOwner(binding, { timeout })),
    rewardProof: (epoch, account) => first((c) => c.rewardProof(epoch, account, { timeout })),
    async getManifest(fileHash, owner, signal) {
      try {
        return await first(
          (c) =>
            c.getManifest(asFileHash(fileHash), {
              timeout,
              ...(owner ? { owner } : {}),
              ...(signal ? { signal } : {}),
            }),
          signal,
        )
      } catch (err) {
        if ((err as Error)?.name === 'SliceNotFoundError') return undefined
        throw err
      }
    },
  }
}
