import { decodeManifest, type FileHash, type SliceHash } from '@stratos-edge/core'
import type { ManifestStore } from '@stratos-edge/protocol'

/** Owners' manifests a bare file hash is resolved among, first stored first (anyone can store one). */
const RESOLVE_CANDIDATES = 16
/** How long a bare file hash's answer is used again: one whose slices registered nodes hold, ms. */
const RESOLVED_HELD_KEPT_MS = 30_000
/** …and one whose slices they do not all hold (they may be uploaded meanwhile), ms. */
const RESOLVED_UNHELD_KEPT_MS = 5_000
/** Bare file hashes whose answer is kept at once. */
const RESOLVED_KEPT_FILES = 4096

/** Edges of {@link createBareHashResolver}. */
export interface BareHashResolverComponents {
  /** Where manifests are kept; its `manifestOwners` lists who signed a file's (none without it). */
  manifests: Pick<ManifestStore, 'getManifest' | 'manifestOwners'>
  now(): number
  /** Whether a registered resource node heard from lately holds the slice at time `t`. */
  heldByResourceNode(hash: SliceHash, t: number): boolean
}

/** Which manifest a bare file hash (one without an owner) means, kept for a while. */
export interface BareHashResolver {
  /** The manifest the bare file hash resolves to; one resolution at a time per file. */
  resolve(fileHash: FileHash): Promise<Uint8Array | undefined>
  /** A manifest of the file was stored or dropped: forget its answer and any resolution under way. */
  forget(fileHash: FileHash): void
}

/**
 * Resolves a bare file hash to one manifest, once, on the server: among the first
 * {@link RESOLVE_CANDIDATES} owners who stored one, the first whose slices registered resource nodes all
 * hold; failing that, the first stored. (Once payments exist, whose owner paid comes next.) The answer
 * is kept for a while; storing another manifest of the file forgets it.
 *
 * @example
 * ```ts
 * const bareHashes = createBareHashResolver({ manifests: store, now: Date.now, heldByResourceNode })
 * const bytes = await bareHashes.resolve(fileHash)
 * ```
 */
export function createBareHashResolver(components: BareHashResolverComponents): BareHashResolver {
  const { manifests, now, heldByResourceNode } = components
  /** Answers to bare file hashes, most recently resolved last; and resolutions under way. */
  const resolved = new Map<string, { at: number; bytes: Uint8Array; held: boolean }>()
  const resolving = new Map<string, Promise<Uint8Array | undefined>>()
  /**
   * Counts stored manifests: a resolution that began before a `putManifest` answers its caller but keeps
   * nothing, or it would write back the answer the store just made stale.
   */
  let generation = 0

  /** One resolution, kept unless a manifest of the file was stored or dropped meanwhile. */
  async function resolveBareHash(fileHash: FileHash): Promise<Uint8Array | undefined> {
    const started = generation
    const keep = (h: FileHash, bytes: Uint8Array, held: boolean) =>
      started === generation ? keepResolved(h, bytes, held) : bytes
    const owners = ((await manifests.manifestOwners?.(fileHash)) ?? []).slice(0, RESOLVE_CANDIDATES)
    if (owners.length === 0) {
      // A store that lists no owners answers for itself.
      const bytes = await manifests.getManifest(fileHash)
      return bytes && keep(fileHash, bytes, false)
    }
    let first: Uint8Array | undefined
    for (const owner of owners) {
      const bytes = await manifests.getManifest(fileHash, owner)
      if (!bytes) continue
      let slices: SliceHash[]
      try {
        // Its signature was checked when it was stored.
        const m = decodeManifest(bytes, { verify: false })
        if (m.fileHash !== fileHash) continue
        slices = m.slices.map((x) => x.hash)
      } catch {
        continue
      }
      const t = now()
      if (slices.every((h) => heldByResourceNode(h, t))) return keep(fileHash, bytes, true)
      first ??= bytes
    }
    return first && keep(fileHash, first, false)
  }
  function keepResolved(fileHash: string, bytes: Uint8Array, held: boolean): Uint8Array {
    resolved.delete(fileHash) // re-inserted last: the oldest entry is the first to go
    resolved.set(fileHash, { at: now(), bytes, held })
    if (resolved.size > RESOLVED_KEPT_FILES) resolved.delete(resolved.keys().next().value as string)
    return bytes
  }
  function resolveManifest(fileHash: FileHash): Promise<Uint8Array | undefined> {
    const kept = resolved.get(fileHash)
    if (kept && now() - kept.at < (kept.held ? RESOLVED_HELD_KEPT_MS : RESOLVED_UNHELD_KEPT_MS))
      return Promise.resolve(kept.bytes)
    let running = resolving.get(fileHash)
    if (!running) {
      const mine: Promise<Uint8Array | undefined> = resolveBareHash(fileHash).finally(() => {
        if (resolving.get(fileHash) === mine) resolving.delete(fileHash)
      })
      running = mine
      resolving.set(fileHash, running)
    }
    return running
  }

  return {
    resolve: resolveManifest,
    forget(fileHash) {
      generation++
      resolved.delete(fileHash)
      resolving.delete(fileHash)
    },
  }
}
