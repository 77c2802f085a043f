/**
 * DELETE_MANIFEST on a node: an owner's signed delete drops that owner's manifest of a file from the
 * node's store, and the slices no manifest left of the file names are let go of (reported to
 * `released`: kept until evicted, no longer anybody's file). Slices of one file are named only by
 * manifests of that file (a slice hash binds its file hash), so only those are read.
 */
import {
  decodeManifest,
  decodeManifestDelete,
  type FileHash,
  MANIFEST_DELETE_WINDOW_S,
  type SliceHash,
  verifyManifestDelete,
} from '@stratos-edge/core'
import type { ManifestStore } from '@stratos-edge/protocol'
import { DELETE_RETENTION_MS } from './delete-forwarder.js'

/** Options of {@link createManifestDeleter}. */
export interface ManifestDeleterInit {
  /** The network id deletes must be signed for; without it, any (a network without tickets). */
  network?: number | undefined
  /** Unix ms; default Date.now. */
  now?: () => number
  /**
   * The peer id(s) of this node's meta service: a delete it forwards may be older than core's window, up to
   * `relayedMaxAgeMs` (a node that was down gets it when it is back). The owner's signature and the
   * network are checked all the same; a manifest made after the delete was signed still stays.
   */
  relayedBy?: () => string | readonly string[] | undefined
  /** Oldest delete taken from `relayedBy`, ms (default the meta service's outbox retention, 30 days). */
  relayedMaxAgeMs?: number
}

/** Edges of {@link createManifestDeleter}. */
export interface ManifestDeleterComponents {
  manifests: ManifestStore
  /** Slices of the file no stored manifest names any longer. */
  released?(fileHash: FileHash, hashes: SliceHash[]): void
  /**
   * Called once a delete passed every check and just before the manifest is dropped; if it rejects,
   * nothing is dropped and the delete rejects with its error. The meta service records the delete in
   * its outbox here, so a crash right after the drop still forwards it.
   */
  beforeDrop?(del: { fileHash: FileHash; owner: string; request: Uint8Array }): Promise<void>
}

/** What a delete did here. */
export interface ManifestDeleteOutcome {
  fileHash: FileHash
  owner: string
  dropped: boolean
  released: SliceHash[]
}

/**
 * Creates the handler of signed deletes. It throws as core's `verifyManifestDelete` does
 * (`NotOwnerError`, `DeleteExpiredError`, `WrongNetworkError`) and `DecodeError` on garbage; a manifest
 * made after the delete was signed stays (a replayed delete cannot remove a later upload).
 *
 * @example
 * ```ts
 * const deleter = createManifestDeleter({ network: 137 }, { manifests: store })
 * const { dropped } = await deleter.deleteManifest(requestBytes)
 * ```
 */
export function createManifestDeleter(init: ManifestDeleterInit, components: ManifestDeleterComponents) {
  const now = init.now ?? Date.now
  const { manifests } = components
  /** Deletes under way, by file and owner. */
  const running = new Map<string, Promise<void>>()
  const sliceHashesOf = (bytes: Uint8Array | undefined): SliceHash[] => {
    if (!bytes) return []
    try {
      return decodeManifest(bytes, { verify: false }).slices.map((s) => s.hash)
    } catch {
      return []
    }
  }
  return {
    /** `from`: the peer that sent it (the index protocol's request context). */
    async deleteManifest(
      request: Uint8Array,
      from?: { peer: { toString(): string } },
    ): Promise<ManifestDeleteOutcome> {
      const del = decodeManifestDelete(request)
      const nowS = Math.floor(now() / 1000)
      const relayers = init.relayedBy?.()
      const sender = from?.peer.toString()
      const relayed =
        sender !== undefined &&
        relayers !== undefined &&
        (typeof relayers === 'string' ? relayers === sender : relayers.includes(sender))
      const oldest = nowS - Math.floor((init.relayedMaxAgeMs ?? DELETE_RETENTION_MS) / 1000)
      verifyManifestDelete(del, {
        ...(init.network !== undefined ? { network: init.network } : {}),
        // A relayed delete is judged as of its signing (when the meta service took it fresh), if not too old.
        now:
          relayed && del.signedAt >= oldest ? Math.min(nowS, del.signedAt + MANIFEST_DELETE_WINDOW_S) : nowS,
      })
      const { fileHash, owner } = del
      // One delete of a manifest at a time: the same delete may come from its owner and, forwarded, from
      // the meta service at once, and the store's delete of one file is not safe to run twice together.
      const key = `${fileHash} ${owner.toLowerCase()}`
      const before = running.get(key) ?? Promise.resolve()
      const mine = before.then(() => drop(del, request))
      const settled: Promise<void> = mine.then(
        () => {},
        () => {},
      )
      running.set(key, settled)
      try {
        return await mine
      } finally {
        if (running.get(key) === settled) running.delete(key)
      }
    },
  }

  async function drop(
    del: ReturnType<typeof decodeManifestDelete>,
    request: Uint8Array,
  ): Promise<ManifestDeleteOutcome> {
    const { fileHash, owner } = del
    const none = { fileHash, owner, dropped: false, released: [] }
    if (!manifests.deleteManifest) return none
    const bytes = await manifests.getManifest(fileHash, owner)
    if (!bytes) return none
    const manifest = decodeManifest(bytes, { verify: false })
    if (manifest.owner.toLowerCase() !== owner.toLowerCase()) return none
    // The delete's time is whole seconds: a manifest made in the same second as the delete is the one
    // its owner saw (an upload deleted at once); only a later re-upload is out of its reach.
    if (Math.floor(manifest.createdAt / 1000) > del.signedAt) return none
    await components.beforeDrop?.({ fileHash, owner, request })
    if (!(await manifests.deleteManifest(fileHash, owner))) return none
    const named = new Set<SliceHash>()
    for (const other of (await manifests.manifestOwners?.(fileHash)) ?? [])
      for (const h of sliceHashesOf(await manifests.getManifest(fileHash, other))) named.add(h)
    const released = manifest.slices.map((s) => s.hash).filter((h) => !named.has(h))
    if (released.length > 0) components.released?.(fileHash, released)
    return { fileHash, owner, dropped: true, released }
  }
}

export type ManifestDeleter = ReturnType<typeof createManifestDeleter>
