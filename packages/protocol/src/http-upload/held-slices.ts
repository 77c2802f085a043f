/**
 * Which of a file's slices a resource node already holds: `POST <node>/v1/slices/held` with JSON
 * `{ "hashes": ["v05ahm5…", …] }` answers `{ "held": [indexes into hashes], "peerId": "…" }`. Slices are
 * content-addressed, so an upload cut short (a cancel, a failure, a closed tab) resumes by sending only
 * the slices the node does not hold: the uploader asks once its slice hashes are known.
 *
 * Read-only and ticket-free: it tells no more than the meta service's index tells anyone, and its body
 * is bounded ({@link MAX_HELD_QUERY_BYTES}).
 */
import { DecodeError, isSliceHash, type SliceHash } from '@stratos-edge/core'
import { HttpUploadError } from '../errors.js'
import { MAX_HASHES_PER_MESSAGE } from '../protocol-ids.js'
import { httpUploadRequest, type UploadSliceOptions } from './http-slice-upload.js'

/** The held-slices query's path. */
export const HELD_SLICES_PATH = '/v1/slices/held'

/** Largest query body: {@link MAX_HASHES_PER_MESSAGE} slice hashes as JSON strings, with room to spare. */
export const MAX_HELD_QUERY_BYTES = MAX_HASHES_PER_MESSAGE * 64 + 1024

/** The answer to a held-slices query. */
export interface HeldSlices {
  /** The slice hashes asked about that the node holds durably. */
  held: SliceHash[]
  /** The node's libp2p peer id. */
  peerId: string
}

/** Checks a parsed query body; throws DecodeError. */
export function parseHeldSlicesQuery(value: unknown): SliceHash[] {
  const hashes = (value as { hashes?: unknown } | undefined)?.hashes
  if (!Array.isArray(hashes) || hashes.length > MAX_HASHES_PER_MESSAGE) {
    throw new DecodeError(`held slices: hashes must be an array of at most ${MAX_HASHES_PER_MESSAGE}`)
  }
  for (const h of hashes) if (!isSliceHash(h)) throw new DecodeError('held slices: not a slice hash')
  return hashes as SliceHash[]
}

/**
 * Asks the node at `baseUrl` which of `hashes` it holds (any number: asked in batches of
 * {@link MAX_HASHES_PER_MESSAGE}). Errors are typed like `uploadSlice`'s.
 *
 * @example
 * ```ts
 * const { held } = await fetchHeldSlices('http://127.0.0.1:7480', sliceHashes, { signal })
 * const toSend = sliceHashes.filter((h) => !held.includes(h))
 * ```
 */
export async function fetchHeldSlices(
  baseUrl: string,
  hashes: readonly SliceHash[],
  options: Pick<UploadSliceOptions, 'signal' | 'timeout' | 'fetch'> = {},
): Promise<HeldSlices> {
  const url = `${baseUrl.replace(/\/$/, '')}${HELD_SLICES_PATH}`
  const held: SliceHash[] = []
  let peerId = ''
  // One request even for no hashes: the answer names the node.
  for (let i = 0; i === 0 || i < hashes.length; i += MAX_HASHES_PER_MESSAGE) {
    const batch = hashes.slice(i, i + MAX_HASHES_PER_MESSAGE)
    const { status, body } = await httpUploadRequest(
      url,
      { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ hashes: batch }) },
      { timeout: 30_000, ...options },
    )
    const r = body as { held?: unknown; peerId?: unknown } | undefined
    if (!Array.isArray(r?.held) || typeof r.peerId !== 'string') {
      throw new HttpUploadError(status, `${url} gave an unexpected answer`, 'Upload every slice')
    }
    for (const index of r.held) {
      const hash = Number.isSafeInteger(index) ? batch[index as number] : undefined
      if (hash === undefined) {
        throw new HttpUploadError(status, `${url} named a slice it was not asked about`, 'Upload every slice')
      }
      held.push(hash)
    }
    peerId = r.peerId
  }
  return { held, peerId }
}
