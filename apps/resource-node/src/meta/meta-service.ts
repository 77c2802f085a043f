import {
  decodeManifest,
  type FileHash,
  InvalidArgumentError,
  InvalidTicketError,
  type SliceHash,
  type Ticket,
  toEvmAddress,
} from '@stratos-edge/core'
import type {
  Announcement,
  IndexBackend,
  IndexRequestContext,
  NodeKind,
  PlacementRequest,
  ProviderRecord,
} from '@stratos-edge/protocol'
import { UnsupportedOperationError } from '@stratos-edge/protocol'
import { createBareHashResolver } from './bare-hash-resolver.js'
import { createManifestDeleter } from './manifest-deleter.js'
import type { MetaServiceInit } from './meta-service-init.js'
import { networkDistance } from './network-distance.js'

export type { MetaServiceInit, MetaTrafficBackend } from './meta-service-init.js'

interface PeerEntry {
  peerId: string
  kind: NodeKind
  multiaddrs: string[]
  freeBytes: number
  /** Where the peer's announcements came from (for nearest-first ordering). */
  observedAddr: string
  lastSeen: number
  slices: Set<SliceHash>
}

/** The meta service: the provider index, placement and manifests, answering the index protocol. */
export interface MetaService extends Required<IndexBackend> {
  lookup(hashes: SliceHash[], limit: number, context: IndexRequestContext): Map<SliceHash, ProviderRecord[]>
  place(request: PlacementRequest, context: IndexRequestContext): ProviderRecord[]
  announce(announcement: Announcement, context: IndexRequestContext): void
  withdraw(hashes: SliceHash[], context: IndexRequestContext): void
  /** Registers a peer's slices directly (the node the service runs in uses this for itself). */
  registerLocal(peerId: string, announcement: Announcement, observedAddr: string): void
  /** Forgets a peer's light-node records (call on disconnect: browsers come and go). */
  peerDisconnected(peerId: string): void
  /** Number of known peers by kind. */
  stats(): { light: number; resource: number; slices: number }
  /** The peers among `peerIds` the registry lists as resource nodes, with the addresses they announced. */
  resourceNodes(peerIds: readonly string[]): ProviderRecord[]
  /** Every registered resource node known, heard from lately or not (where deletes are forwarded). */
  registeredResourceNodes(): ProviderRecord[]
  /**
   * The manifest a bare file hash means (see {@link createBareHashResolver}): what `getManifest` without an
   * owner answers, here and over the index protocol. Undefined when no manifest of the file is stored.
   */
  resolveManifest(fileHash: FileHash): Promise<Uint8Array | undefined>
}

/** Places in a lookup answer kept for resource nodes (the default replica count) that browsers would fill. */
const RESOURCE_SLOTS = 2
/**
 * Creates the meta service: which peers hold which slices (light and resource nodes announce and
 * withdraw), placement of uploads on `replicas` distinct resource nodes with room, provider lookup
 * ordered nearest to the requester first (then light nodes before resource nodes, then most recently
 * seen) with room kept for resource nodes, and signed manifests by file hash and owner, with the owners
 * who signed a file's.
 *
 * @example
 * ```ts
 * const meta = createMetaService({ manifests: store })
 * await registerIndexProtocol(libp2p, { backend: meta })
 * ```
 */
export function createMetaService(init: MetaServiceInit): MetaService {
  const peers = new Map<string, PeerEntry>()
  const holders = new Map<SliceHash, Set<string>>()
  const now = init.now ?? Date.now
  const staleAfter = init.staleAfterMs ?? 5 * 60_000
  const maxPerPeer = init.maxSlicesPerPeer ?? 4 * 1024 * 1024
  const forgetAfter = init.forgetAfterMs ?? 30 * 60_000
  const maxIndexed = init.maxIndexedSlices ?? 16 * 1024 * 1024
  /** Index entries over all peers. */
  let indexed = 0
  let lastSweep = now()
  /** Registered resource nodes: named in the init, or running this service (registerLocal). */
  const registry = init.resourcePeers || init.closedRegistry ? new Set(init.resourcePeers ?? []) : undefined
  const maxPerUnregistered = init.maxSlicesPerUnregisteredPeer ?? 256 * 1024
  const registered = (e: PeerEntry): boolean =>
    e.kind === 'resource' && (registry === undefined || registry.has(e.peerId))
  /** Whether a registered resource node heard from lately holds the slice. */
  const heldByResourceNode = (h: SliceHash, t: number): boolean => {
    for (const id of holders.get(h) ?? []) {
      const e = peers.get(id)
      if (e && registered(e) && t - e.lastSeen <= staleAfter) return true
    }
    return false
  }
  const bareHashes = createBareHashResolver({ manifests: init.manifests, now, heldByResourceNode })
  // The delete is in the outbox before the manifest is dropped: a crash in between still forwards it.
  const forwarder = init.deletes
  const deleter =
    init.deleter ??
    createManifestDeleter(
      {},
      { manifests: init.manifests, ...(forwarder ? { beforeDrop: (d) => forwarder.forward(d) } : {}) },
    )

  /** Forgets resource nodes long silent (light nodes are forgotten when they disconnect). */
  function sweep(): void {
    const t = now()
    if (t - lastSweep < Math.min(60_000, forgetAfter)) return
    lastSweep = t
    for (const e of [...peers.values()]) {
      if (e.kind === 'resource' && t - e.lastSeen > forgetAfter) {
        forget(e.peerId)
        init.logger?.debug('silent resource node forgotten', { peer: e.peerId })
      }
    }
  }

  function unindex(e: PeerEntry, h: SliceHash): void {
    if (!e.slices.delete(h)) return
    indexed--
    const set = holders.get(h)
    set?.delete(e.peerId)
    if (set?.size === 0) holders.delete(h)
  }

  function upsert(peerId: string, a: Announcement, observedAddr: string): PeerEntry {
    sweep()
    const known = peers.get(peerId)
    const kept = a.replace ? 0 : (known?.slices.size ?? 0)
    if (indexed - (known?.slices.size ?? 0) + kept + a.hashes.length > maxIndexed) {
      throw new InvalidArgumentError(
        `The index holds ${indexed} slices, near its limit of ${maxIndexed}`,
        'Announce later, or to another meta service',
      )
    }
    // A closed registry decides who is a resource node, never the peer's own announcement.
    if (a.kind === 'resource' && registry && !registry.has(peerId)) {
      throw new InvalidArgumentError(
        `Peer ${peerId} is not a registered resource node`,
        'Announce as a light node, or ask the meta service operator to list it (--resource-peer)',
      )
    }
    let e = known
    if (!e) {
      e = { peerId, kind: a.kind, multiaddrs: [], freeBytes: 0, observedAddr, lastSeen: 0, slices: new Set() }
      peers.set(peerId, e)
    }
    e.kind = a.kind
    if (a.multiaddrs.length > 0) e.multiaddrs = a.multiaddrs
    e.freeBytes = a.freeBytes
    e.observedAddr = observedAddr
    e.lastSeen = now()
    const before = a.replace ? 0 : e.slices.size
    const limit = registered(e) ? maxPerPeer : Math.min(maxPerPeer, maxPerUnregistered)
    if (before + a.hashes.length > limit) {
      throw new InvalidArgumentError(
        `Peer ${peerId} would index ${before + a.hashes.length} slices, over the limit of ${limit}`,
        'Announce fewer slices',
      )
    }
    if (a.replace) for (const h of [...e.slices]) unindex(e, h)
    for (const h of a.hashes) {
      if (e.slices.has(h)) continue
      e.slices.add(h)
      indexed++
      let set = holders.get(h)
      if (!set) {
        set = new Set()
        holders.set(h, set)
      }
      set.add(peerId)
    }
    return e
  }

  function forget(peerId: string): void {
    const e = peers.get(peerId)
    if (!e) return
    for (const h of [...e.slices]) unindex(e, h)
    peers.delete(peerId)
  }

  const record = (e: PeerEntry): ProviderRecord => ({
    peerId: e.peerId,
    kind: e.kind,
    multiaddrs: e.multiaddrs,
  })

  const order = (from: string) => (a: PeerEntry, b: PeerEntry) =>
    networkDistance(from, a.observedAddr) - networkDistance(from, b.observedAddr) ||
    (a.kind === b.kind ? 0 : a.kind === 'light' ? -1 : 1) ||
    b.lastSeen - a.lastSeen

  /**
   * The first `limit` of `sorted`, keeping up to {@link RESOURCE_SLOTS} places for resource nodes: a slice
   * many browsers hold would otherwise be answered with browsers only, leaving a downloader whose browser
   * providers fail no fallback and a gateway (which fetches only from resource nodes) no source.
   */
  function withResourceRoom(sorted: PeerEntry[], limit: number): PeerEntry[] {
    const resources = sorted.filter((e) => e.kind === 'resource').length
    const lightRoom = limit - Math.min(resources, RESOURCE_SLOTS, Math.max(0, limit - 1))
    let light = 0
    return sorted.filter((e) => e.kind === 'resource' || light++ < lightRoom).slice(0, limit)
  }

  function traffic(): NonNullable<MetaServiceInit['traffic']> {
    if (!init.traffic)
      throw new UnsupportedOperationError(
        'This meta service settles no traffic',
        'Ask one run with Proof of Traffic',
      )
    return init.traffic
  }

  return {
    registerLocal(peerId, announcement, observedAddr) {
      if (announcement.kind === 'resource') registry?.add(peerId)
      upsert(peerId, announcement, observedAddr)
    },
    resourceNodes(peerIds) {
      const t = now()
      return peerIds
        .map((id) => peers.get(id))
        .filter((e): e is PeerEntry => e !== undefined && registered(e) && t - e.lastSeen <= staleAfter)
        .map(record)
    },
    registeredResourceNodes() {
      const known = [...peers.values()].filter(registered).map(record)
      const named = [...(registry ?? [])].filter((id) => !peers.has(id))
      return [...known, ...named.map((peerId) => ({ peerId, kind: 'resource' as const, multiaddrs: [] }))]
    },
    peerDisconnected(peerId) {
      if (peers.get(peerId)?.kind === 'light') {
        forget(peerId)
        init.logger?.debug('light node left', { peer: peerId })
      }
    },
    stats() {
      let light = 0
      let resource = 0
      for (const e of peers.values()) e.kind === 'light' ? light++ : resource++
      return { light, resource, slices: holders.size }
    },
    announce(a: Announcement, ctx: IndexRequestContext) {
      const e = upsert(ctx.peer.toString(), a, ctx.remoteAddr)
      if (registered(e)) init.deletes?.peerSeen(e.peerId)
    },
    withdraw(hashes: SliceHash[], ctx: IndexRequestContext) {
      const id = ctx.peer.toString()
      const e = peers.get(id)
      if (!e) return
      for (const h of hashes) unindex(e, h)
    },
    lookup(hashes: SliceHash[], limit: number, ctx: IndexRequestContext) {
      const out = new Map<SliceHash, ProviderRecord[]>()
      const requester = ctx.peer.toString()
      const t = now()
      for (const h of hashes) {
        const list = [...(holders.get(h) ?? [])]
          .filter((id) => id !== requester)
          .map((id) => peers.get(id))
          // resource nodes re-announce every 30 s; one silent for longer than staleAfter is presumed gone
          .filter(
            (e): e is PeerEntry => e !== undefined && (e.kind === 'light' || t - e.lastSeen <= staleAfter),
          )
          .sort(order(ctx.remoteAddr))
        out.set(h, withResourceRoom(list, limit).map(record))
      }
      return out
    },
    place(req: PlacementRequest, ctx: IndexRequestContext) {
      const exclude = new Set(req.exclude)
      const t = now()
      const candidates = [...peers.values()]
        .filter((e) => registered(e) && !exclude.has(e.peerId) && t - e.lastSeen <= staleAfter)
        .filter((e) => e.freeBytes >= req.size)
        .sort((a, b) => order(ctx.remoteAddr)(a, b) || b.freeBytes - a.freeBytes)
      const chosen = candidates.slice(0, Math.max(1, req.replicas))
      // Reserve the space so concurrent uploads spread out until the next announcement.
      for (const e of chosen) e.freeBytes = Math.max(0, e.freeBytes - req.size)
      init.logger?.debug('placement', {
        fileHash: req.fileHash,
        replicas: req.replicas,
        chosen: chosen.length,
      })
      return chosen.map(record)
    },
    async requestTicket(request: Uint8Array) {
      if (!init.tickets)
        throw new UnsupportedOperationError(
          'This meta service issues no upload tickets',
          'Upload without one',
        )
      return init.tickets.issueEncoded(request)
    },
    async putManifest(bytes: Uint8Array, _context: IndexRequestContext, ticket?: Uint8Array) {
      let committed: { ticket: Ticket; size: number } | undefined
      if (init.ticketGate) {
        // Checked before the manifest is stored: decoded without its signature (the store verifies it).
        const m = decodeManifest(bytes, { verify: false })
        const paid = init.ticketGate.admit(ticket, { bytes: 0, fileHash: m.fileHash })
        if (toEvmAddress(paid.ticket.owner) !== toEvmAddress(m.owner)) {
          throw new InvalidTicketError(
            `Ticket ${paid.ticket.id} is ${paid.ticket.owner}'s, the manifest is ${m.owner}'s`,
            'Send the manifest with its owner’s upload ticket',
          )
        }
        committed = { ticket: paid.ticket, size: m.size }
      }
      const fileHash = await init.manifests.putManifest(bytes)
      if (committed) await init.onUploadCommitted?.(committed.ticket, committed.size)
      // Another owner's may be the one to answer now, and one under way may have read the owners before it.
      bareHashes.forget(fileHash)
      return fileHash
    },
    async getManifest(fileHash: FileHash, _context: IndexRequestContext, owner?: string) {
      return owner === undefined ? bareHashes.resolve(fileHash) : init.manifests.getManifest(fileHash, owner)
    },
    resolveManifest: (fileHash) => bareHashes.resolve(fileHash),
    requestDownloadTicket: (request, context) => traffic().requestDownloadTicket(request, context),
    submitReceipts: (receipts, context) => traffic().submitReceipts(receipts, context),
    trafficStatus: (account, context) => traffic().trafficStatus(account, context),
    rewardProof: (epoch, account, context) => traffic().rewardProof(epoch, account, context),
    async deleteManifest(request: Uint8Array) {
      // The deleter forwards (its `beforeDrop`, recorded durably) only a delete that is about to drop a
      // manifest here: every manifest comes through here, so one that drops none has nothing to reach.
      const { dropped, fileHash } = await deleter.deleteManifest(request)
      if (dropped) bareHashes.forget(fileHash) // the dropped manifest may be the one a bare hash answered
      return dropped
    },
    submitSelfReport(report, context) {
      const t = traffic()
      if (!t.submitSelfReport)
        throw new UnsupportedOperationError(
          'This meta service takes no gateway self-reports',
          'Count this traffic with receipts',
        )
      return t.submitSelfReport(report, context)
    },
    registerNodeOwner(binding, context) {
      const t = traffic()
      if (!t.registerNodeOwner)
        throw new UnsupportedOperationError(
          'This meta service takes no node-owner bindings',
          'Ask a meta service that settles traffic',
        )
      return t.registerNodeOwner(binding, context)
    },
    async manifestOwners(fileHash: FileHash) {
      return (await init.manifests.manifestOwners?.(fileHash)) ?? []
    },
  }
}
