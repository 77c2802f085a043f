import { chmod, mkdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type KeyPair, keyPairFromPrivateKey, toHex } from '@stratos-edge/core'
import { writeFileAtomic } from '../store/atomic-file.js'

/**
 * Loads a secp256k1 key kept as `0x` hex in `<dataDir>/<name>`, creating one (mode 600, written
 * atomically) on first start, so the address it stands for survives restarts.
 *
 * @example
 * ```ts
 * const key = await loadOrCreateKeyFile('./data', 'meta.key')
 * ```
 */
export async function loadOrCreateKeyFile(dataDir: string, name: string): Promise<KeyPair> {
  const path = join(dataDir, name)
  try {
    return keyPairFromPrivateKey((await readFile(path, 'utf8')).trim())
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  const key = toHex(crypto.getRandomValues(new Uint8Array(32)))
  await mkdir(dataDir, { recursive: true })
  await writeFileAtomic(dataDir, path, [new TextEncoder().encode(`${key}\n`)])
  await chmod(path, 0o600)
  return keyPairFromPrivateKey(key)
}
