/** Which manifest a read uses: the file's record here first, then the meta service's index. */
import {
  asFileHash,
  decodeManifest,
  type FileHash,
  type Manifest,
  parseSdmUri,
  sameAddress,
  verifyManifest,
} from '@stratos-edge/core'
import { ManifestNotFoundError } from '../../errors.js'
import type { IdbSliceStore } from '../../store/idb-slice-store.js'
import type { NetworkIndex } from '../network-index.js'
import { orElse } from '../until-aborted.js'

/** Edges of {@link resolveManifest}. */
export interface ResolveManifestComponents {
  store: IdbSliceStore
  index?: NetworkIndex | undefined
}

/**
 * Resolves a file hash or `sdm://` URI to its manifest. A URI takes only the manifest its owner signed;
 * a bare file hash takes the manifest the meta service chose for it (resolved once, on the server; the
 * node does not second-guess it). The manifest's signature is checked; each slice is checked against its
 * hash later, before use. A manifest from the index is kept as the file's record for the next read.
 *
 * @example
 * ```ts
 * const manifest = await resolveManifest('sdm://st1…/v05j1m5…', signal, { store, index })
 * ```
 */
export async function resolveManifest(
  ref: string,
  signal: AbortSignal,
  components: ResolveManifestComponents,
): Promise<Manifest> {
  const { store, index } = components
  const uri = ref.startsWith('sdm://') ? parseSdmUri(ref) : undefined
  const fileHash: FileHash = uri ? uri.fileHash : asFileHash(ref)
  const wanted = (m: Manifest) => !uri || sameAddress(m.owner, uri.owner)
  const local = await store.getFile(fileHash)
  if (local?.manifest) {
    const manifest = decodeManifest(local.manifest)
    if (wanted(manifest)) return manifest
  }
  // The signal goes to the index, and the wait stops on it even if an index ignores it.
  const bytes = index
    ? await orElse(index.getManifest(fileHash, uri?.owner, signal), signal, undefined)
    : undefined
  if (!bytes) {
    throw new ManifestNotFoundError(
      `No manifest for ${ref}`,
      'Check the file hash, or that the meta service is reachable',
    )
  }
  const manifest = decodeManifest(bytes)
  verifyManifest(manifest)
  if (manifest.fileHash !== fileHash || !wanted(manifest)) {
    throw new ManifestNotFoundError(
      `The index answered with a manifest of ${manifest.fileHash} by ${manifest.owner}`,
      'Ask another index',
    )
  }
  signal.throwIfAborted()
  // The layout is kept for reading the file again; a record this node has (its own upload, or another
  // owner's read by its URI) stays.
  if (!local) {
    await store.putFile({
      fileHash,
      size: manifest.size,
      sliceSize: manifest.sliceSize,
      slices: manifest.slices.map((s) => ({ number: s.number, size: s.size, hash: s.hash })),
      state: 'complete',
      pinned: 0,
      manifest: bytes,
      updatedAt: Date.now(),
    })
  }
  return manifest
}
