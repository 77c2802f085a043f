import { secp256k1 } from '@noble/curves/secp256k1.js'
import { HDKey } from '@scure/bip32'
import { generateMnemonic as bip39Generate, mnemonicToSeedSync, validateMnemonic } from '@scure/bip39'
import { wordlist } from '@scure/bip39/wordlists/english.js'
import { fromHex, toHex } from '../encoding/bytes.js'
import { InvalidKeyError } from '../errors.js'
import { keccak256 } from '../ids/keccak.js'
import { type EvmAddress, type StratosAddress, toChecksumAddress, toStratosAddress } from './address.js'

/** BIP-44 path of Stratos accounts (coin type 606). */
export const STRATOS_HD_PATH = "m/44'/606'/0'/0/0"

/** A secp256k1 key pair with its addresses. Keep `privateKey` inside the worker that signs. */
export interface KeyPair {
  readonly privateKey: Uint8Array
  /** Uncompressed public key, 65 bytes (0x04 ‖ x ‖ y). */
  readonly publicKey: Uint8Array
  readonly address: StratosAddress
  readonly evmAddress: EvmAddress
}

/** The 20 address bytes of an uncompressed (65-byte) or compressed (33-byte) public key. */
export function publicKeyToAddressBytes(publicKey: Uint8Array): Uint8Array {
  let uncompressed: Uint8Array
  try {
    uncompressed = secp256k1.Point.fromBytes(publicKey).toBytes(false)
  } catch (cause) {
    throw new InvalidKeyError('Invalid secp256k1 public key', 'Pass 33 or 65 bytes of a point on the curve', {
      cause,
    })
  }
  return keccak256(uncompressed.subarray(1)).slice(12)
}

/**
 * The key pair of a 32-byte private key (bytes or hex).
 *
 * @example
 * ```ts
 * keyPairFromPrivateKey('0x' + '01'.repeat(32)).address // 'st1rfjz7r3u8t65teavh5utquj3kwvsj983l3hnfd'
 * ```
 */
export function keyPairFromPrivateKey(privateKey: Uint8Array | string): KeyPair {
  let key: Uint8Array
  try {
    key = typeof privateKey === 'string' ? fromHex(privateKey) : privateKey.slice()
  } catch (cause) {
    throw new InvalidKeyError('Private key is not hex', 'Pass 32 bytes or 64 hex digits', { cause })
  }
  if (key.length !== 32 || !secp256k1.utils.isValidSecretKey(key)) {
    throw new InvalidKeyError(
      'Private key is not a valid secp256k1 scalar',
      'Pass 32 bytes in the range 1..n-1',
    )
  }
  const publicKey = secp256k1.getPublicKey(key, false)
  const addressBytes = publicKeyToAddressBytes(publicKey)
  return {
    privateKey: key,
    publicKey,
    address: toStratosAddress(addressBytes),
    evmAddress: toChecksumAddress(addressBytes),
  }
}

/** A fresh random key pair from the platform's CSPRNG. */
export function generateKeyPair(): KeyPair {
  return keyPairFromPrivateKey(secp256k1.utils.randomSecretKey())
}

/** A new 24-word English BIP-39 mnemonic. */
export function generateMnemonic(): string {
  return bip39Generate(wordlist, 256)
}

/**
 * Derives the key pair at `path` (default m/44'/606'/0'/0/0) from a BIP-39 mnemonic.
 *
 * @example
 * ```ts
 * keyPairFromMnemonic('abandon '.repeat(11) + 'about').address
 * // 'st18yesadx3t8x3jjsygpqeqzh0j7xh2vh66945zx'
 * ```
 */
export function keyPairFromMnemonic(
  mnemonic: string,
  options: { path?: string; passphrase?: string } = {},
): KeyPair {
  const normalized = mnemonic.trim().split(/\s+/).join(' ')
  if (!validateMnemonic(normalized, wordlist)) {
    throw new InvalidKeyError('Invalid BIP-39 mnemonic', 'Check the words and their order (English wordlist)')
  }
  let child: HDKey
  try {
    child = HDKey.fromMasterSeed(mnemonicToSeedSync(normalized, options.passphrase ?? '')).derive(
      options.path ?? STRATOS_HD_PATH,
    )
  } catch (cause) {
    throw new InvalidKeyError(
      `Cannot derive path ${options.path}`,
      "Use a BIP-32 path like m/44'/606'/0'/0/0",
      { cause },
    )
  }
  if (!child.privateKey)
    throw new InvalidKeyError('Derived key has no private key', 'Use a private derivation path')
  return keyPairFromPrivateKey(child.privateKey)
}

/** Hex of a private key, for storage in a key file. */
export function privateKeyToHex(pair: KeyPair): `0x${string}` {
  return toHex(pair.privateKey)
}
