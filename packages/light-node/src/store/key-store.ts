/** Small private settings kept in the slice database: the owner key, the libp2p identity, the budget. */
import type { SliceDatabase } from './slice-schema.js'

/** The settings of one open slice database. */
export interface KeyStore {
  get(name: string): Promise<Uint8Array | undefined>
  set(name: string, value: Uint8Array): Promise<void>
}

/** Settings in `database()`'s `settings` store (workers have no localStorage). */
export function createKeyStore(components: { database(): SliceDatabase }): KeyStore {
  return {
    get: (name) => components.database().get('settings', name),
    async set(name, value) {
      await components.database().put('settings', value, name)
    },
  }
}
