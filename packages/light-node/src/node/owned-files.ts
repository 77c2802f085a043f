/**
 * The files this node owns: its own uploads (by its key or a page wallet), read from the store's file
 * records. A record counts once it is complete, pinned and holds the signed manifest of the upload.
 */
import { decodeManifest, formatSdmUri } from '@stratos-edge/core'
import type { OwnedFile } from '../api-types.js'
import type { FileRecord } from '../store/slice-schema.js'

/** Edges of {@link listOwnedFiles}. */
export interface OwnedFilesComponents {
  /** Every file record of the store. */
  listFiles(): Promise<FileRecord[]>
}

/** Options of {@link listOwnedFiles}. */
export interface OwnedFilesInit {
  /** Base URL of the home resource node's gateway: each file's `gatewayUrl` is built on it. */
  gatewayUrl?: string | undefined
}

/**
 * The owned files, newest first. A record whose manifest does not decode is left out (it cannot be
 * shared or withdrawn).
 *
 * @example
 * ```ts
 * const files = await listOwnedFiles({ gatewayUrl }, { listFiles: () => store.listFiles() })
 * ```
 */
export async function listOwnedFiles(
  init: OwnedFilesInit,
  components: OwnedFilesComponents,
): Promise<OwnedFile[]> {
  const base = init.gatewayUrl?.replace(/\/$/, '')
  const out: OwnedFile[] = []
  for (const record of await components.listFiles()) {
    if (record.state !== 'complete' || record.pinned !== 1 || !record.manifest) continue
    let manifest: ReturnType<typeof decodeManifest>
    try {
      // Signed by its owner when it was made here.
      manifest = decodeManifest(record.manifest, { verify: false })
    } catch {
      continue
    }
    const uri = formatSdmUri(manifest.owner, manifest.fileHash)
    out.push({
      fileHash: manifest.fileHash,
      name: manifest.name ?? manifest.fileHash,
      mimeType: manifest.mimeType ?? 'application/octet-stream',
      size: manifest.size,
      owner: manifest.owner,
      uri,
      ...(base ? { gatewayUrl: `${base}/files/${uri}` } : {}),
      createdAt: manifest.createdAt,
    })
  }
  return out.sort((a, b) => b.createdAt - a.createdAt)
}
