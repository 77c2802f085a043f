/**
 * Staged uploads: slices sent before their hashes are known, so a browser's upload overlaps the hashing
 * of the file instead of waiting for it. A slice hash needs the file hash, which needs every byte; but
 * the node can hash each staged slice's part that does not depend on it (Keccak-256 of slice number ‖
 * bytes) as it arrives. Once the client knows the file hash it commits: the node finishes each slice
 * hash from that digest, keeps only slices whose hash matches what the client claims, and stores those
 * durably, exactly as if they had been uploaded with their hashes.
 *
 * - `POST /v1/slices` with `x-stratos-upload: <id>` and `x-stratos-slice-number` (no hash headers):
 *   202 once the bytes are held and digested. `StagingFullError` (503) when the node's staging memory is
 *   full: send the rest the normal way. Staged bytes live in memory and expire after a few minutes.
 * - `POST /v1/uploads/<id>/commit` with JSON `{ fileHash, slices: [{ number, hash }], forward }`: 200 with
 *   `{ stored, rejected }` (slice numbers) once the stored ones are durable; rejected ones (not staged,
 *   expired, or hashing to something else) must be uploaded again with their hashes.
 */
import {
  DecodeError,
  type FileHash,
  isFileHash,
  isSliceHash,
  MAX_MANIFEST_SLICES,
  type SliceHash,
} from '@stratos-edge/core'
import { HttpUploadError } from '../errors.js'
import { MAX_HASHES_PER_MESSAGE } from '../protocol-ids.js'
import type { PeerAddress } from '../slices/slice-messages.js'
import {
  httpUploadRequest,
  parsePeerList,
  SLICE_UPLOAD_PATH,
  SliceUploadHeader,
  ticketHeader,
  type UploadSliceOptions,
  uploadBody,
} from './http-slice-upload.js'
import { uploadBodyLength } from './upload-body-length.js'

/** Where commits go: `${STAGED_UPLOAD_PATH}/<upload id>/commit`. */
export const STAGED_UPLOAD_PATH = '/v1/uploads'

/** Largest commit body. */
export const MAX_COMMIT_BYTES = 1024 * 1024

const UPLOAD_ID = /^[0-9a-f]{32}$/

/** A fresh random upload id (128 bits, hex). */
export function newUploadId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16))
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')
}

/** What a staging request says about its body. */
export interface StageRequest {
  uploadId: string
  number: number
  size: number
}

/**
 * Reads a staging request's headers (`header(name)`), or undefined when it is not one (it carries no
 * upload id). Throws `DecodeError` / `InvalidArgumentError` like `parseSliceUploadHeaders`.
 */
export function parseStageHeaders(header: (name: string) => string | undefined): StageRequest | undefined {
  const uploadId = header(SliceUploadHeader.UPLOAD)
  if (uploadId === undefined) return undefined
  if (!UPLOAD_ID.test(uploadId)) throw new DecodeError(`${SliceUploadHeader.UPLOAD} must be 32 hex digits`)
  const number = Number(header(SliceUploadHeader.NUMBER))
  if (!Number.isSafeInteger(number) || number < 1 || number > MAX_MANIFEST_SLICES) {
    throw new DecodeError(`${SliceUploadHeader.NUMBER} must be an integer from 1 to ${MAX_MANIFEST_SLICES}`)
  }
  const length = header('content-length')
  const size = uploadBodyLength(length)
  // Only an empty file's single slice is empty; other empty slices would cost the node for nothing.
  if (size === 0 && number !== 1) {
    throw new DecodeError(`Staged slice ${number} is empty`, 'Only slice 1 of an empty file may be empty')
  }
  return { uploadId, number, size }
}

/** A commit: which staged slices, with which hashes, belong to which file. */
export interface CommitRequest {
  fileHash: FileHash
  slices: { number: number; hash: SliceHash }[]
  forward: PeerAddress[]
}

/** The answer to a commit. */
export interface CommitResult {
  /** Slice numbers now durably stored. */
  stored: number[]
  /** Slice numbers not stored (not staged, expired, or not matching their hash): upload them again. */
  rejected: number[]
  peerId: string
}

/** The upload id in a commit path, or undefined when `path` is not one. */
export function commitPathUploadId(path: string): string | undefined {
  const m = /^\/v1\/uploads\/([0-9a-f]{32})\/commit$/.exec(path)
  return m?.[1]
}

/** Checks a parsed commit body; throws DecodeError. */
export function parseCommitRequest(value: unknown): CommitRequest {
  const v = value as { fileHash?: unknown; slices?: unknown; forward?: unknown } | undefined
  if (!isFileHash(v?.fileHash)) throw new DecodeError('commit: fileHash is missing or invalid')
  if (!Array.isArray(v.slices) || v.slices.length > MAX_HASHES_PER_MESSAGE) {
    throw new DecodeError(`commit: slices must be an array of at most ${MAX_HASHES_PER_MESSAGE}`)
  }
  const slices = v.slices.map((s: unknown) => {
    const e = s as { number?: unknown; hash?: unknown }
    if (!Number.isSafeInteger(e?.number) || (e.number as number) < 1 || !isSliceHash(e.hash)) {
      throw new DecodeError('commit: each slice needs a number from 1 and a slice hash')
    }
    return { number: e.number as number, hash: e.hash }
  })
  if (new Set(slices.map((s) => s.number)).size !== slices.length) {
    throw new DecodeError('commit: a slice number is listed twice')
  }
  return { fileHash: v.fileHash, slices, forward: parsePeerList(v.forward ?? []) }
}

/**
 * Stages one slice whose hash is not known yet (see the module doc). Resolves with the node's peer id.
 *
 * @example
 * ```ts
 * const id = newUploadId()
 * await stageSlice(url, { uploadId: id, number: 1, data: file.slice(0, sliceSize) })
 * ```
 */
export async function stageSlice(
  baseUrl: string,
  slice: { uploadId: string; number: number; data: Uint8Array | Blob },
  options: Pick<UploadSliceOptions, 'signal' | 'timeout' | 'fetch' | 'ticket'> = {},
): Promise<{ peerId: string }> {
  const url = `${baseUrl.replace(/\/$/, '')}${SLICE_UPLOAD_PATH}`
  const { status, body } = await httpUploadRequest(
    url,
    {
      headers: {
        'content-type': 'application/octet-stream',
        [SliceUploadHeader.UPLOAD]: slice.uploadId,
        [SliceUploadHeader.NUMBER]: String(slice.number),
        ...ticketHeader(options.ticket),
      },
      body: uploadBody(slice.data),
      bytes: slice.data instanceof Uint8Array ? slice.data.byteLength : slice.data.size,
    },
    options,
  )
  const peerId = (body as { peerId?: unknown } | undefined)?.peerId
  if (status !== 202 || typeof peerId !== 'string') {
    throw new HttpUploadError(status, `Staging at ${url} got an unexpected answer`, 'Upload it unstaged')
  }
  return { peerId }
}

/**
 * Commits a staged upload: the node stores every listed slice that was staged and hashes to its claimed
 * hash, copies them on to `forward`, and reports which it stored and which to upload again.
 *
 * @example
 * ```ts
 * const { stored, rejected } = await commitStagedUpload(url, id, { fileHash, slices, forward: [] })
 * ```
 */
export async function commitStagedUpload(
  baseUrl: string,
  uploadId: string,
  commit: CommitRequest,
  options: Pick<UploadSliceOptions, 'signal' | 'timeout' | 'fetch' | 'ticket'> = {},
): Promise<CommitResult> {
  const url = `${baseUrl.replace(/\/$/, '')}${STAGED_UPLOAD_PATH}/${uploadId}/commit`
  const { status, body } = await httpUploadRequest(
    url,
    {
      headers: { 'content-type': 'application/json', ...ticketHeader(options.ticket) },
      body: JSON.stringify(commit),
    },
    options,
  )
  const r = body as Partial<CommitResult> | undefined
  if (!Array.isArray(r?.stored) || !Array.isArray(r.rejected) || typeof r.peerId !== 'string') {
    throw new HttpUploadError(status, `Commit at ${url} got an unexpected answer`, 'Upload the slices again')
  }
  return { stored: r.stored, rejected: r.rejected, peerId: r.peerId }
}
