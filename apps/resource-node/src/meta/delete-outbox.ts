/**
 * The meta service's durable outbox of owners' signed deletes still owed to resource nodes: one JSON
 * file in the data directory, replaced atomically on every change, so a delete taken before a crash or
 * a restart is still sent after it.
 */
import { mkdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type FileHash, fromHex, toHex } from '@stratos-edge/core'
import { writeFileAtomic } from '../store/atomic-file.js'

/** One delete and the nodes that have not acknowledged it yet. */
export interface OwedDelete {
  fileHash: FileHash
  owner: string
  /** The owner's signed delete, as it came (the nodes check the signature themselves). */
  request: Uint8Array
  /** When the meta service took it, unix ms. */
  takenAt: number
  /** Peer ids still owed it, with the attempts made and the time of the next one (unix ms). */
  owed: Map<string, { attempts: number; nextAt: number }>
}

interface OutboxFile {
  version: 1
  deletes: Array<{
    fileHash: FileHash
    owner: string
    request: string
    takenAt: number
    owed: Array<{ peerId: string; attempts: number; nextAt: number }>
  }>
}

/** The outbox's file under a data directory. */
export const deleteOutboxPath = (dataDir: string): string => join(dataDir, 'meta', 'delete-outbox.json')

/** Reads the outbox; an absent file is an empty one. */
export async function readDeleteOutbox(path: string): Promise<OwedDelete[]> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw err
  }
  const file = JSON.parse(text) as OutboxFile
  return file.deletes.map((d) => ({
    fileHash: d.fileHash,
    owner: d.owner,
    request: fromHex(d.request),
    takenAt: d.takenAt,
    owed: new Map(d.owed.map((o) => [o.peerId, { attempts: o.attempts, nextAt: o.nextAt }])),
  }))
}

/** Replaces the outbox with `deletes` (synced, renamed, directory synced). */
export async function writeDeleteOutbox(path: string, deletes: readonly OwedDelete[]): Promise<void> {
  const file: OutboxFile = {
    version: 1,
    deletes: deletes.map((d) => ({
      fileHash: d.fileHash,
      owner: d.owner,
      request: toHex(d.request),
      takenAt: d.takenAt,
      owed: [...d.owed].map(([peerId, o]) => ({ peerId, ...o })),
    })),
  }
  const dir = join(path, '..')
  await mkdir(dir, { recursive: true })
  await writeFileAtomic(dir, path, [new TextEncoder().encode(JSON.stringify(file))])
}
