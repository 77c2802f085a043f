import { randomBytes } from 'node:crypto'
import { type FileHandle, open, rename } from 'node:fs/promises'
import { dirname, join } from 'node:path'

/** A fresh temp file name in `tmpDir`, with `suffix` (e.g. `.tmp`). */
export function tempPath(tmpDir: string, suffix: string): string {
  return join(tmpDir, `${randomBytes(8).toString('hex')}${suffix}`)
}

/** Writes all of `bytes` at `position` of an open file (positional writes may be short). */
async function writeAllAt(fh: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  let done = 0
  while (done < bytes.length) {
    const { bytesWritten } = await fh.write(bytes, done, bytes.length - done, position + done)
    done += bytesWritten
  }
}

/**
 * Opens `path` (`wx`: a new file; `r+`: an existing one), writes each of `writes` at its position, syncs the
 * data and closes the file.
 */
export async function writeSynced(
  path: string,
  flags: 'wx' | 'r+',
  writes: readonly { bytes: Uint8Array; at: number }[],
): Promise<void> {
  const fh = await open(path, flags, 0o644)
  try {
    for (const w of writes) await writeAllAt(fh, w.bytes, w.at)
    await fh.datasync()
  } finally {
    await fh.close()
  }
}

/**
 * Writes `parts` to `finalPath` atomically and durably: a temp file in `tmpDir` (same filesystem),
 * fsync, rename over the final name, fsync of the directory. After a crash the final name holds either
 * nothing or the complete bytes; only temp files can be left behind.
 */
export async function writeFileAtomic(
  tmpDir: string,
  finalPath: string,
  parts: readonly Uint8Array[],
): Promise<void> {
  const tmp = tempPath(tmpDir, '.tmp')
  let at = 0
  const writes = parts.map((bytes) => {
    const w = { bytes, at }
    at += bytes.length
    return w
  })
  await writeSynced(tmp, 'wx', writes)
  await renameDurably(tmp, finalPath)
}

/** Renames a complete, synced temp file over `finalPath` and fsyncs the directory, so the name is durable. */
export async function renameDurably(tmp: string, finalPath: string): Promise<void> {
  await rename(tmp, finalPath)
  await syncDir(dirname(finalPath))
}

/** fsync a directory so a rename into it is durable. */
export async function syncDir(dir: string): Promise<void> {
  const dh = await open(dir, 'r')
  try {
    await dh.sync()
  } finally {
    await dh.close()
  }
}
