import { chmod, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { writeFileAtomic } from '../store/atomic-file.js'

/**
 * Loads the node's libp2p key from `<dataDir>/peer.key`, creating an Ed25519 key on first start, so the
 * peer id survives restarts.
 */
export async function loadOrCreatePeerKey(dataDir: string): Promise<PrivateKey> {
  const path = join(dataDir, 'peer.key')
  try {
    return privateKeyFromProtobuf(new Uint8Array(await readFile(path)))
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  const key = await generateKeyPair('Ed25519')
  await writeFileAtomic(dataDir, path, [privateKeyToProtobuf(key)])
  await chmod(path, 0o600)
  return key
}
