import type { KeyPair } from '@stratos-edge/core'
import { loadOrCreateKeyFile } from './key-file.js'

/** The file of the meta service's signing key in the data directory. */
export const META_KEY_FILE = 'meta.key'

/**
 * Loads the meta service's secp256k1 signing key (tickets) from `<dataDir>/meta.key` (`0x` hex), creating
 * one on first start, so the issuer address resource nodes trust survives restarts.
 */
export function loadOrCreateMetaKey(dataDir: string): Promise<KeyPair> {
  return loadOrCreateKeyFile(dataDir, META_KEY_FILE)
}
