import { type FileHash, isFileHash, parseSdmUri } from '@stratos-edge/core'

const FILES_PREFIX = '/v1/files/'
/** Unversioned alias (`<gateway url>/files/<file hash>`). */
const FILES_ALIAS = '/files/'

/** Whether a request path is a file read (`/v1/files/…` or `/files/…`). */
export const isFilePath = (path: string): boolean =>
  path.startsWith(FILES_PREFIX) || path.startsWith(FILES_ALIAS)

/**
 * Whether an If-None-Match header names this file's ETag: `*`, a list, and weak validators (`W/"…"`)
 * all count, compared weakly as RFC 9110 §13.1.2 asks.
 */
export function etagMatches(header: string | undefined, fileHash: string): boolean {
  if (header === undefined) return false
  if (header.trim() === '*') return true
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === `"${fileHash}"`)
}

/** The file a read path names: a bare file hash, or an sdm:// URI (owner and file hash); or undefined. */
export function fileTarget(rawPath: string): { fileHash: FileHash; owner?: string } | undefined {
  let rest = rawPath.slice(rawPath.startsWith(FILES_PREFIX) ? FILES_PREFIX.length : FILES_ALIAS.length)
  try {
    rest = decodeURIComponent(rest)
  } catch {
    return undefined
  }
  if (rest.startsWith('sdm:')) {
    // Proxies may collapse "//": accept sdm:/owner/hash too.
    const uri = rest.startsWith('sdm://') ? rest : rest.replace(/^sdm:\/?/, 'sdm://')
    try {
      const { owner, fileHash } = parseSdmUri(uri)
      return { fileHash, owner }
    } catch {
      return undefined
    }
  }
  return isFileHash(rest) ? { fileHash: rest } : undefined
}
