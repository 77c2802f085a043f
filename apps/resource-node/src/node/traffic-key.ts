import { chmod, mkdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type KeyPair, keyPairFromPrivateKey, toHex } from '@stratos-edge/core'
import { writeFileAtomic } from '../store/atomic-file.js'

/** The file of the node's EVM key in the data directory. */
export const NODE_EVM_KEY_FILE = 'traffic.key'

/**
 * Loads the resource node's own secp256k1 key (`0x` hex in `<dataDir>/traffic.key`, the file the receipt exchange uses too), creating one on
 * first start. Its address is the node's Proof of Traffic identity: receipts name it as provider, its
 * self-reports are signed with it, rewards are paid to it, and it sends (and pays the gas of) its
 * claims. Apart from the meta service's ticket key and the libp2p key.
 *
 * @example
 * ```ts
 * const key = await loadOrCreateNodeEvmKey('./data')
 * console.log(key.evmAddress) // fund it with gas to claim
 * ```
 */
export async function loadOrCreateNodeEvmKey(dataDir: string): Promise<KeyPair> {
  const path = join(dataDir, NODE_EVM_KEY_FILE)
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
