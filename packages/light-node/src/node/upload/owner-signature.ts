/** The owner's signature on a manifest, asked of a {@link TypedDataSigner} (a page wallet or the node's key). */
import {
  attachManifestSignature,
  encodeManifest,
  manifestTypedData,
  type TypedDataSigner,
  type UnsignedManifest,
} from '@stratos-edge/core'
import { signingError } from '../../errors.js'

/**
 * Asks `signer` to sign the manifest's EIP-712 data and resolves to the encoded signed manifest. A
 * signature that does not recover to the manifest's owner throws core's `InvalidSignatureError`; a wallet
 * that refuses, `SignatureRejectedError`; one that fails otherwise, `SigningFailedError`.
 *
 * @example
 * ```ts
 * const encoded = await signOwnedManifest(privateKeySigner(key), createManifest({ sliced, owner }))
 * ```
 */
export async function signOwnedManifest(
  signer: TypedDataSigner,
  unsigned: UnsignedManifest,
): Promise<Uint8Array> {
  let signature: Awaited<ReturnType<TypedDataSigner['signTypedData']>>
  try {
    signature = await signer.signTypedData(manifestTypedData(unsigned))
  } catch (err) {
    throw signingError(err)
  }
  return encodeManifest(attachManifestSignature(unsigned, signature, 'eip712'))
}
