import { chmod, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type KeyPair, keyPairFromPrivateKey, toHex } from '@stratos-edge/core'
import { writeFileAtomic } from '../store/atomic-file.js'

/** The file of the meta service's signing key in the data directory. */
export const META_KEY_FILE = 'meta.key'

/**
 * Loads the meta service's secp256k1 signing key (tickets) from `<dataDir>/meta.key` (`0x` hex), creating
 * one on first start, so the issuer address resource nodes trust survives restarts.
 */
export async function loadOrCreateMetaKey(dataDir: string): Promise<KeyPair> {
  const path = join(dataDir, META_KEY_FILE)
  try {
    return keyPairFromPrivateKey((await readFile(path, 'utf8')).trim())
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  const key = toHex(crypto.getRandomValues(new Uint8Array(32)))
  await writeFileAtomic(dataDir, path, [new TextEncoder().encode(`${key}\n`)])
  await chmod(path, 0o600)
  return keyPairFromPrivateKey(key)
}
