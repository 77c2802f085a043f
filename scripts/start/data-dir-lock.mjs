// One `npm start` per data directory: a lock file holding the owner's pid. A lock whose process is gone
// (a SIGKILL, a power cut) is taken over.
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs'
import { join } from 'node:path'

/** Another live process holds the data directory. */
export class DataDirLockedError extends Error {
  name = 'DataDirLockedError'
}

function alive(pid) {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return err.code === 'EPERM'
  }
}

/**
 * Takes the lock on `dataDir` (which must exist), or throws DataDirLockedError naming the holder.
 * @returns {{ path: string, release(): void }}
 */
export function lockDataDir(dataDir) {
  const path = join(dataDir, 'start.lock')
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx')
      writeSync(fd, `${process.pid}\n`)
      closeSync(fd)
      return { path, release: () => rmSync(path, { force: true }) }
    } catch (err) {
      if (err.code !== 'EEXIST') throw err
      const pid = Number.parseInt(readFileSync(path, 'utf8'), 10)
      if (Number.isInteger(pid) && pid !== process.pid && alive(pid))
        throw new DataDirLockedError(
          `the data directory ${dataDir} is in use by another npm start (pid ${pid}); stop it, or use --data-dir`,
        )
      rmSync(path, { force: true }) // stale: its process is gone
    }
  }
  throw new DataDirLockedError(`could not lock the data directory ${dataDir}`)
}
