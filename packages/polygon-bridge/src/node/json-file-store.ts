import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { PaymentWatcherState, PaymentWatcherStore } from '../payment-watcher.js'

/**
 * A payment watcher store in one JSON file, written atomically (temp file + rename), so a crash never leaves
 * half a state.
 *
 * @example
 * ```ts
 * const store = createJsonFileWatcherStore('/var/lib/stratos/payments.json')
 * ```
 */
export function createJsonFileWatcherStore(path: string): PaymentWatcherStore {
  return {
    async load() {
      try {
        return JSON.parse(await readFile(path, 'utf8')) as PaymentWatcherState
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
        throw err
      }
    },
    async save(state) {
      await mkdir(dirname(path), { recursive: true })
      const tmp = `${path}.${process.pid}.tmp`
      await writeFile(tmp, JSON.stringify(state))
      await rename(tmp, path)
    },
  }
}
