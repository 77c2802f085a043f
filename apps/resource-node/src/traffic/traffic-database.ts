import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { migrateLedger } from '../ledger/ledger-schema.js'

/**
 * Opens (creating and migrating as needed) one of the meta service's traffic databases,
 * `<dataDir>/<file>`, in WAL mode with full syncs, so a change that returned survives `kill -9` and
 * power loss. `migrations` run as the ledger's do: each once, in order, in its own transaction.
 *
 * @example
 * ```ts
 * const db = openTrafficDatabase('./data', 'node-owners.sqlite', ['CREATE TABLE t (x INTEGER)'])
 * ```
 */
export function openTrafficDatabase(
  dataDir: string,
  file: string,
  migrations: readonly string[],
): DatabaseSync {
  mkdirSync(dataDir, { recursive: true })
  const db = new DatabaseSync(join(dataDir, file))
  db.exec('PRAGMA journal_mode = WAL')
  db.exec('PRAGMA synchronous = FULL')
  migrateLedger(db, migrations)
  return db
}
