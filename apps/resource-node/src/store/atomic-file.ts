import { randomBytes } from 'node:crypto'
import { type FileHandle, open, rename } from 'node:fs/promises'
import { dirname, join } from 'node:path'

/** A fresh temp file name in `tmpDir`, with `suffix` (e.g. `.tmp`). */
export function tempPath(tmpDir: string, suffix: string): string {
  return join(tmpDir, `${randomBytes(8).toString('hex')}${suffix}`)
}

/** Writes all of `parts` one after another from `position` of an open file: one `writev`, more if short. */
async function writeAllAt(fh: FileHandle, parts: readonly Uint8Array[], position: number): Promise<void> {
  const total = parts.reduce((n, p) => n + p.length, 0)
  let done = parts.length === 0 ? 0 : (await fh.writev(parts as Uint8Array[], position)).bytesWritten
  // Positional writes may be short: the rest, part by part (bounded: each round writes at least a byte).
  for (let skipped = 0, i = 0; done < total && i < parts.length; i++) {
    const part = parts[i] as Uint8Array
    const from = Math.max(0, done - skipped)
    skipped += part.length
    for (let at = from; at < part.length; ) {
      const { bytesWritten } = await fh.write(part, at, part.length - at, position + done)
      at += bytesWritten
      done += bytesWritten
    }
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
    await writeAllAt(fh, parts, at)
    await fh.datasync()
  } finally {
    await fh.close()
  }
}

/**
 * Writes `parts` to `finalPath` atomically and durably: a temp file in `tmpDir` (same filesystem),
 * fsync, rename over the final name, fsync of the directory. After a crash the final name holds either
 * nothing or the complete bytes; only temp files can be left behind.
 *
 * Each awaited file operation costs a turn of the event loop, and under 200 gateway readers a turn
 * took 30 ms at the median and 600 ms at p99 (load bench, /healthz probe): so the directory is opened
 * while the data is written, the parts go in one `writev`, and the closes run beside the next step.
 * Sequential steps went from 10 to 4 (with the slice store's known directories, 5) (the order of data sync, rename, directory sync is unchanged).
 */
export async function writeFileAtomic(
  tmpDir: string,
  finalPath: string,
  parts: readonly Uint8Array[],
): Promise<void> {
  const tmp = tempPath(tmpDir, '.tmp')
  const dirOpen = open(dirname(finalPath), 'r')
  dirOpen.catch(() => {}) // awaited below; a failure of the data write must not leave it unhandled
  try {
    const fh = await open(tmp, 'wx', 0o644)
    let closing: Promise<void>
    try {
      await writeAllAt(fh, parts, 0)
      await fh.datasync()
    } finally {
      closing = fh.close()
    }
    await Promise.all([closing, rename(tmp, finalPath)])
  } catch (err) {
    await dirOpen.then((dh) => dh.close()).catch(() => {})
    throw err
  }
  const dh = await dirOpen
  try {
    await dh.sync()
  } finally {
    dh.close().catch(() => {}) // the name is durable now: its close need not delay the caller
  }
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
