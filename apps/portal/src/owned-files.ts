/**
 * The files this browser uploaded, kept in localStorage (the light node's API has no list of owned
 * files): what the Files view lists, shares and deletes.
 */

/** One uploaded file as the portal remembers it. */
export interface OwnedFile {
  fileHash: string
  uri: string
  name: string
  mimeType: string
  size: number
  gatewayUrl?: string
  uploadedAt: number
}

const KEY = 'stratos-edge-portal:owned-files'

/** A list of owned files over a `Storage` (localStorage in the page, a fake in tests). */
export function createOwnedFiles(storage: Pick<Storage, 'getItem' | 'setItem'>) {
  const read = (): OwnedFile[] => {
    try {
      const parsed = JSON.parse(storage.getItem(KEY) ?? '[]') as unknown
      return Array.isArray(parsed) ? (parsed as OwnedFile[]) : []
    } catch {
      return []
    }
  }
  const write = (files: OwnedFile[]) => storage.setItem(KEY, JSON.stringify(files))
  return {
    list: read,
    /** Adds or replaces (same hash) a file, newest first. */
    add(file: OwnedFile): void {
      write([file, ...read().filter((f) => f.fileHash !== file.fileHash)])
    },
    remove(fileHash: string): void {
      write(read().filter((f) => f.fileHash !== fileHash))
    },
  }
}

export type OwnedFiles = ReturnType<typeof createOwnedFiles>
