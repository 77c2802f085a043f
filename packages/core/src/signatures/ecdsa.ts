import { secp256k1 } from '@noble/curves/secp256k1.js'
import { concatBytes, fromHex, toHex } from '../encoding/bytes.js'
import { InvalidSignatureError } from '../errors.js'
import { type EvmAddress, toChecksumAddress, toEvmAddress } from '../keys/address.js'
import { publicKeyToAddressBytes } from '../keys/keys.js'

/** A 65-byte Ethereum-style signature `r ‖ s ‖ v` (v = 27 or 28), as wallets return it. */
export type SignatureBytes = Uint8Array

/** Signs a 32-byte digest; returns `r ‖ s ‖ v` with low s, as Ethereum wallets do. */
export function signDigest(digest: Uint8Array, privateKey: Uint8Array): SignatureBytes {
  if (digest.length !== 32) throw new InvalidSignatureError('Digest must be 32 bytes')
  // noble's 'recovered' format puts the recovery byte first; Ethereum puts it last, plus 27.
  const recovered = secp256k1.sign(digest, privateKey, { prehash: false, format: 'recovered' })
  return concatBytes(recovered.subarray(1), Uint8Array.of((recovered[0] as number) + 27))
}

/** Normalises a signature given as hex or bytes to 65 bytes; throws InvalidSignatureError. */
export function signatureToBytes(signature: Uint8Array | string): SignatureBytes {
  let bytes: Uint8Array
  try {
    bytes = typeof signature === 'string' ? fromHex(signature) : signature
  } catch (cause) {
    throw new InvalidSignatureError('Signature is not hex', 'Pass the 65-byte signature a wallet returned', {
      cause,
    })
  }
  if (bytes.length !== 65) {
    throw new InvalidSignatureError(`Signature has ${bytes.length} bytes, expected 65`, 'Pass r ‖ s ‖ v')
  }
  // Some signers return v as 0/1; store the one canonical form (27/28) so a record has one encoding.
  const v = bytes[64] as number
  if (v === 0 || v === 1) {
    const normalised = bytes.slice()
    normalised[64] = v + 27
    return normalised
  }
  if (v !== 27 && v !== 28) throw new InvalidSignatureError(`Bad recovery byte ${v}`, 'v must be 27 or 28')
  return bytes
}

/** Recovers the signer's address from a digest and an `r ‖ s ‖ v` signature; throws InvalidSignatureError. */
export function recoverAddress(digest: Uint8Array, signature: Uint8Array | string): EvmAddress {
  const sig = signatureToBytes(signature)
  const recovery = (sig[64] as number) - 27
  try {
    const compact = concatBytes(Uint8Array.of(recovery), sig.subarray(0, 64))
    const sigObj = secp256k1.Signature.fromBytes(compact, 'recovered')
    // Reject high-s signatures: they are malleable copies of valid ones (EIP-2).
    if (sigObj.hasHighS()) throw new Error('high s')
    const publicKey = secp256k1.recoverPublicKey(compact, digest, { prehash: false })
    return toChecksumAddress(publicKeyToAddressBytes(publicKey))
  } catch (cause) {
    throw new InvalidSignatureError(
      'Signature does not recover to a public key',
      'The signature is corrupt',
      { cause },
    )
  }
}

/**
 * Verifies that `signature` over `digest` was made by `expected` (`st1…` or `0x…`); throws
 * InvalidSignatureError naming both addresses otherwise.
 */
export function assertSignedBy(
  digest: Uint8Array,
  signature: Uint8Array | string,
  expected: string,
  what: string,
): void {
  const signer = recoverAddress(digest, signature)
  if (signer !== toEvmAddress(expected)) {
    throw new InvalidSignatureError(
      `${what} is signed by ${signer}, not by ${toEvmAddress(expected)}`,
      'Sign it with the key of the expected account',
    )
  }
}

/** Hex form of a signature. */
export function signatureToHex(signature: SignatureBytes): `0x${string}` {
  return toHex(signature)
}
