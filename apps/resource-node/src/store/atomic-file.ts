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
 * Opens `path` (`wx`: a new file; `r+`: an existing one), writes `parts` one after another from position
 * `at`, syncs the data and closes the file.
 */
export async function writeSynced(
  path: string,
  flags: 'wx' | 'r+',
  parts: readonly Uint8Array[],
  at = 0,
): Promise<void> {
  const fh = await open(path, flags, 0o644)
  try {
    let position = at
    for (const bytes of parts) {
      await writeAllAt(fh, bytes, position)
      position += bytes.length
    }
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
  await writeSynced(tmp, 'wx', parts)
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
