import { chmod, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type KeyPair, keyPairFromPrivateKey, toHex } from '@stratos-edge/core'
import { writeFileAtomic } from '../store/atomic-file.js'

/** The file of the node's traffic key in the data directory. */
export const RECEIPT_KEY_FILE = 'traffic.key'

/**
 * Loads the node's secp256k1 traffic key from `<dataDir>/traffic.key` (`0x` hex), creating one on first
 * start: receipts for this node name its address, and its rewards are paid to it.
 */
export async function loadOrCreateReceiptKey(dataDir: string): Promise<KeyPair> {
  const path = join(dataDir, RECEIPT_KEY_FILE)
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
