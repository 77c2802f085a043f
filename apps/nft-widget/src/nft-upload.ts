/**
 * The upload itself, apart from the DOM: the media files first, then the metadata JSON that links them,
 * all through the light node; then the tokenURI. Files already stored in this session are not sent again.
 */
import type { PutProgress, PutResult, PutSigner } from '@stratos-edge/light-node'
import {
  FileUploadError,
  MetadataInvalidError,
  NetworkUnavailableError,
  UploadCancelledError,
} from './errors.js'
import { mimeTypeOf } from './media-kind.js'
import { buildMetadata, type NftMetadata, type NftMetadataInput, substituteErc1155Id } from './metadata.js'
import { ozoneShortOf } from './ozone-offer.js'
import type { UploaderNode } from './shared-light-node.js'
import { explainWalletError } from './wallet.js'

/** Where the metadata links media and where the tokenURI points: an https gateway URL or `sdm://`. */
export type TokenUriMode = 'https' | 'sdm'

/** The role of a media file in the metadata. */
export type MediaRole = 'image' | 'animation_url'

/** One media file to upload and the slot of the metadata it fills. */
export interface MediaFile {
  readonly role: MediaRole
  readonly file: File
  /** The stored file, once uploaded (kept so that a retry does not send it again). */
  result?: PutResult
}

/** What the uploader emits when the token's files and metadata are stored. */
export interface NftUploadResult {
  /** The URI to mint with: the metadata's https gateway URL, or its `sdm://` URI. */
  readonly tokenURI: string
  readonly metadata: NftMetadata
  /** The metadata JSON's file hash, `sdm://` URI and gateway URL. */
  readonly fileHash: string
  readonly uri: string
  readonly gatewayUrl: string | undefined
  /** Who owns the metadata and media (`st1…`): the creator's wallet, or the light node's own key. */
  readonly owner: string
  /** The media files, by role. */
  readonly media: { role: MediaRole; name: string; fileHash: string; uri: string; gatewayUrl?: string }[]
}

/** Options of {@link uploadNft}. */
export interface NftUploadInit {
  node: UploaderNode
  /** The creator's wallet, which then owns every file; default: the light node's own key. */
  signer?: PutSigner | undefined
  media: MediaFile[]
  input: NftMetadataInput
  tokenUri: TokenUriMode
  /** Gateway base for https links when the node reports none (`<base>/files/<sdm uri>`). */
  gatewayUrl?: string
  /** ERC-1155 token id: `{id}` in the metadata's text is replaced by its 64-digit hex form. */
  tokenId?: string
  signal?: AbortSignal
  onProgress?: (item: MediaFile | 'metadata', progress: PutProgress) => void
  /** Called as each file starts and ends (for per-file cancel buttons). */
  onFileState?: (item: MediaFile | 'metadata', state: 'uploading' | 'done' | 'failed') => void
}

function linkOf(result: PutResult, mode: TokenUriMode, gatewayUrl: string | undefined): string {
  if (mode === 'sdm') return result.uri
  if (result.gatewayUrl) return result.gatewayUrl
  if (gatewayUrl) return `${gatewayUrl.replace(/\/$/, '')}/files/${result.uri}`
  throw new FileUploadError(
    'The file is stored, but no web gateway was reported for its link',
    'Ask the marketplace to set gateway-url, or use token-uri="sdm"',
  )
}

/** Rewrites a failure of the light node into words a creator understands. */
export function explainUploadError(err: unknown, what: string, signal?: AbortSignal): Error {
  const name = (err as Error | undefined)?.name
  if (signal?.aborted || name === 'AbortError' || name === 'AbortedError')
    return new UploadCancelledError(`The upload of ${what} was cancelled`, 'Press Retry to go on')
  if (name === 'NetworkUnavailableError' || name === 'WidgetConfigError' || name === 'MetadataInvalidError')
    return err as Error
  const typed = explainWalletError(err) ?? ozoneShortOf(err)
  if (typed) return typed
  if (name === 'StorageQuotaError')
    return new FileUploadError(
      `Your browser has no room left to prepare ${what}`,
      'Free some disk space or choose a smaller file',
      { cause: err },
    )
  if (name === 'FileChangedError')
    return new FileUploadError(`${what} changed while it was being uploaded`, 'Choose it again', {
      cause: err,
    })
  if (
    name === 'WorkerLostError' ||
    name === 'LeaderLostError' ||
    name === 'NodeStoppedError' ||
    name === 'NodeStartError'
  )
    return new NetworkUnavailableError('The connection to the storage network was lost', 'Press Retry', {
      cause: err,
    })
  return new FileUploadError(`${what} could not be stored on the network`, 'Press Retry to try again', {
    cause: err,
  })
}

/**
 * Uploads the media, then the metadata JSON, and returns the tokenURI and what it points at.
 *
 * @example
 * ```ts
 * const result = await uploadNft({ node, media: [{ role: 'image', file }], input: { name: 'Ship' }, tokenUri: 'https' })
 * await contract.mint(to, result.tokenURI)
 * ```
 */
export async function uploadNft(init: NftUploadInit): Promise<NftUploadResult> {
  // The metadata is checked before anything is sent (the links are filled in afterwards).
  buildMetadata(init.input, {})
  if (init.media.length === 0 && !init.input.animation_url?.trim())
    throw new MetadataInvalidError('There is no artwork to upload yet', 'Drop a file or press Choose files')
  const links: { image?: string; animation_url?: string } = {}
  for (const item of init.media) {
    if (init.signal?.aborted) throw explainUploadError(init.signal.reason, `“${item.file.name}”`, init.signal)
    if (!item.result) {
      init.onFileState?.(item, 'uploading')
      try {
        item.result = await init.node.put(item.file, {
          name: item.file.name,
          mimeType: mimeTypeOf(item.file),
          ...(init.signer ? { signer: init.signer } : {}),
          ...(init.signal ? { signal: init.signal } : {}),
          onProgress: (p) => init.onProgress?.(item, p),
        })
      } catch (err) {
        init.onFileState?.(item, 'failed')
        throw explainUploadError(err, `“${item.file.name}”`, init.signal)
      }
      init.onFileState?.(item, 'done')
    }
    links[item.role] = linkOf(item.result, init.tokenUri, init.gatewayUrl)
  }
  let metadata = buildMetadata(init.input, links)
  if (init.tokenId !== undefined && init.tokenId !== '')
    metadata = substituteErc1155Id(metadata, init.tokenId)
  const json = new Blob([JSON.stringify(metadata, null, 2)], { type: 'application/json' })
  init.onFileState?.('metadata', 'uploading')
  let stored: PutResult
  try {
    stored = await init.node.put(json, {
      name: 'metadata.json',
      mimeType: 'application/json',
      ...(init.signer ? { signer: init.signer } : {}),
      ...(init.signal ? { signal: init.signal } : {}),
      onProgress: (p) => init.onProgress?.('metadata', p),
    })
  } catch (err) {
    init.onFileState?.('metadata', 'failed')
    throw explainUploadError(err, 'the metadata', init.signal)
  }
  init.onFileState?.('metadata', 'done')
  return {
    tokenURI: linkOf(stored, init.tokenUri, init.gatewayUrl),
    metadata,
    fileHash: stored.fileHash,
    uri: stored.uri,
    gatewayUrl: stored.gatewayUrl,
    owner: stored.owner,
    media: init.media.map((m) => ({
      role: m.role,
      name: m.file.name,
      fileHash: (m.result as PutResult).fileHash,
      uri: (m.result as PutResult).uri,
      ...((m.result as PutResult).gatewayUrl ? { gatewayUrl: (m.result as PutResult).gatewayUrl } : {}),
    })),
  }
}
