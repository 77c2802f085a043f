import { concatBytes, utf8 } from '../encoding/bytes.js'
import { keccak256 } from '../ids/keccak.js'
import type { EvmAddress } from '../keys/address.js'
import { recoverAddress, type SignatureBytes, signDigest } from './ecdsa.js'

/**
 * The EIP-191 (version 0x45, `personal_sign`) digest of a message:
 * keccak256("\x19Ethereum Signed Message:\n" ‖ decimal length ‖ message).
 */
export function hashPersonalMessage(message: string | Uint8Array): Uint8Array {
  const bytes = typeof message === 'string' ? utf8(message) : message
  return keccak256(concatBytes(utf8(`\x19Ethereum Signed Message:\n${bytes.length}`), bytes))
}

/**
 * Signs a message as `personal_sign` does; ethers' `verifyMessage` recovers the same address.
 *
 * @example
 * ```ts
 * const sig = signPersonalMessage('hello', keyPair.privateKey)
 * recoverPersonalMessageSigner('hello', sig) === keyPair.evmAddress // true
 * ```
 */
export function signPersonalMessage(message: string | Uint8Array, privateKey: Uint8Array): SignatureBytes {
  return signDigest(hashPersonalMessage(message), privateKey)
}

/** The address that made a `personal_sign` signature; throws InvalidSignatureError when malformed. */
export function recoverPersonalMessageSigner(
  message: string | Uint8Array,
  signature: Uint8Array | string,
): EvmAddress {
  return recoverAddress(hashPersonalMessage(message), signature)
}
