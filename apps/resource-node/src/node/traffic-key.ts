import type { KeyPair } from '@stratos-edge/core'
import { loadOrCreateKeyFile } from './key-file.js'

/** The file of the node's EVM key in the data directory. */
export const NODE_EVM_KEY_FILE = 'traffic.key'

/**
 * Loads the resource node's own secp256k1 key (`0x` hex in `<dataDir>/traffic.key`, the receipt exchange's key too), creating
 * one on first start. Its address is the node's Proof of Traffic identity: receipts name it as provider, its
 * self-reports are signed with it, rewards are paid to it, and it sends (and pays the gas of) its
 * claims. Apart from the meta service's ticket key and the libp2p key.
 *
 * @example
 * ```ts
 * const key = await loadOrCreateNodeEvmKey('./data')
 * console.log(key.evmAddress) // fund it with gas to claim
 * ```
 */
export function loadOrCreateNodeEvmKey(dataDir: string): Promise<KeyPair> {
  return loadOrCreateKeyFile(dataDir, NODE_EVM_KEY_FILE)
}
