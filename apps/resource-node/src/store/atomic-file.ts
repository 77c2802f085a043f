import { randomBytes } from 'node:crypto'
import { open, rename } from 'node:fs/promises'
import { dirname, join } from 'node:path'

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
  const tmp = join(tmpDir, `${randomBytes(8).toString('hex')}.tmp`)
  const fh = await open(tmp, 'wx', 0o644)
  try {
    let position = 0
    for (const part of parts) {
      let done = 0
      while (done < part.length) {
        const { bytesWritten } = await fh.write(part, done, part.length - done, position)
        done += bytesWritten
        position += bytesWritten
      }
    }
    await fh.datasync()
  } finally {
    await fh.close()
  }
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
