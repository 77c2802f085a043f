import { InvalidSdmUriError } from '../errors.js'
import { type StratosAddress, toStratosAddress } from '../keys/address.js'
import { asFileHash, type FileHash } from './file-hash.js'

/** A parsed `sdm://<st1 owner>/<file hash>` URI. */
export interface SdmUri {
  readonly owner: StratosAddress
  readonly fileHash: FileHash
}

const SCHEME = 'sdm://'

/**
 * Formats the URI SDS uses to name a file: `sdm://<st1 owner>/<file hash>`. The owner may be given as
 * `st1…` or `0x…`; it is always written as `st1…`.
 *
 * @example
 * ```ts
 * formatSdmUri('st1rfjz7r3u8t65teavh5utquj3kwvsj983l3hnfd', 'v05j1m52c3o7rd6if0b6u23dcoaajjs77tlmkdco')
 * // 'sdm://st1rfjz7r3u8t65teavh5utquj3kwvsj983l3hnfd/v05j1m52c3o7rd6if0b6u23dcoaajjs77tlmkdco'
 * ```
 */
export function formatSdmUri(owner: string, fileHash: string): string {
  return `${SCHEME}${toStratosAddress(owner)}/${asFileHash(fileHash)}`
}

/**
 * Parses an `sdm://` URI; throws InvalidSdmUriError. Like SDS's parser, the owner must be a 41-character
 * `st1…` address, so the `/` stands at index 47.
 *
 * @example
 * ```ts
 * parseSdmUri('sdm://st1rfjz7r3u8t65teavh5utquj3kwvsj983l3hnfd/v05j1m52c3o7rd6if0b6u23dcoaajjs77tlmkdco').fileHash
 * ```
 */
export function parseSdmUri(uri: string): SdmUri {
  const fail = (why: string, cause?: unknown): never => {
    throw new InvalidSdmUriError(
      `Invalid sdm URI ${JSON.stringify(String(uri).slice(0, 100))}: ${why}`,
      'Use sdm://<st1 owner address>/<file hash>',
      { cause },
    )
  }
  if (typeof uri !== 'string' || !uri.startsWith(SCHEME)) return fail('must start with sdm://')
  const rest = uri.slice(SCHEME.length)
  const slash = rest.indexOf('/')
  if (slash + SCHEME.length !== 47) return fail('owner must be a 41-character st1 address')
  const ownerText = rest.slice(0, slash)
  const hashText = rest.slice(slash + 1)
  if (!ownerText.startsWith('st1')) return fail('owner must be an st1 address')
  let owner: StratosAddress
  let fileHash: FileHash
  try {
    owner = toStratosAddress(ownerText)
  } catch (cause) {
    return fail('bad owner address', cause)
  }
  try {
    fileHash = asFileHash(hashText)
  } catch (cause) {
    return fail('bad file hash', cause)
  }
  if (owner !== ownerText) return fail('owner is not in canonical lower-case form')
  return { owner, fileHash }
}
