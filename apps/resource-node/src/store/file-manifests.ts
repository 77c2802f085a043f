import { decodeManifest, type FileHash, isErrorNamed, type Manifest } from '@stratos-edge/core'
import type { DiskSliceStore } from './disk-slice-store.js'

/** The meta service's manifest answers, for a node that does not run it. */
export interface RemoteManifests {
  /** The owners whose manifest of the file the meta service holds. */
  owners(fileHash: FileHash): Promise<readonly string[]>
  /** That owner's signed manifest bytes; throws SliceNotFoundError when there is none. */
  manifest(fileHash: FileHash, owner: string): Promise<Uint8Array>
}

/** Components of {@link createFileManifests}. */
export interface FileManifestsComponents {
  store: Pick<DiskSliceStore, 'manifestOwners' | 'getManifest' | 'putManifest'>
  /** Without it, the store's manifests are all there is (a node that runs the meta service, or none). */
  remote?: RemoteManifests | undefined
}

/**
 * Every stored manifest of a file, from any owner: the ones this node keeps, and (with `remote`) the
 * ones the meta service holds, kept here once fetched. Manifests are stored only through the write paths
 * (ticket-checked when tickets are on), so what this lists is what paid for the file's slices.
 */
export interface FileManifests {
  /** The file's manifests; undefined when the meta service could not be asked (not the same as none). */
  of(fileHash: FileHash): Promise<Manifest[] | undefined>
}

/**
 * Creates the lookup of a file's manifests, for deciding which slices are paid for.
 *
 * @example
 * ```ts
 * const manifests = createFileManifests({ store, remote })
 * const listed = await manifests.of(slice.fileHash) // undefined: unknown, keep the slice
 * ```
 */
export function createFileManifests(components: FileManifestsComponents): FileManifests {
  const { store, remote } = components
  const local = async (fileHash: FileHash): Promise<Manifest[]> => {
    const out: Manifest[] = []
    for (const owner of store.manifestOwners(fileHash)) {
      const bytes = await store.getManifest(fileHash, owner)
      // Signatures of manifests kept here were checked when they were stored.
      if (bytes) out.push(decodeManifest(bytes, { verify: false }))
    }
    return out
  }
  return {
    async of(fileHash) {
      const kept = await local(fileHash)
      if (!remote) return kept
      try {
        const known = new Set(kept.map((m) => m.owner.toLowerCase()))
        for (const owner of await remote.owners(fileHash)) {
          if (known.has(owner.toLowerCase())) continue
          const bytes = await remote.manifest(fileHash, owner).catch((err: unknown) => {
            if (isErrorNamed(err, 'SliceNotFoundError')) return undefined
            throw err
          })
          if (!bytes) continue
          const manifest = decodeManifest(bytes) // checks the signature: it came over the network
          await store.putManifest(bytes).catch(() => {})
          kept.push(manifest)
        }
        return kept
      } catch (err) {
        // The meta service says the file has no manifest: none. Anything else: we do not know.
        if (isErrorNamed(err, 'SliceNotFoundError')) return kept
        return undefined
      }
    },
  }
}
