/**
 * The page side of an owner's signature: `put`'s `signer` (an EIP-1193 provider or any
 * `{ address, signTypedData }`) made into a {@link TypedDataSigner} whose failures are typed. The worker
 * asks it, through a comlink callback, for each EIP-712 signature; the key never leaves the wallet.
 */
import { type Eip1193Provider, eip1193Signer, type TypedDataSigner } from '@stratos-edge/core'
import type { PutSigner } from '../api-types.js'
import { SigningFailedError, signingError } from '../errors.js'

function isProvider(signer: PutSigner): signer is Eip1193Provider {
  return typeof (signer as Partial<Eip1193Provider>).request === 'function'
}

/** The wallet's first account: the one already connected, else the one the user connects. */
async function walletAccount(provider: Eip1193Provider): Promise<string> {
  try {
    const known = (await provider.request({ method: 'eth_accounts' })) as string[] | undefined
    if (known?.[0]) return known[0]
    const asked = (await provider.request({ method: 'eth_requestAccounts' })) as string[] | undefined
    if (asked?.[0]) return asked[0]
  } catch (err) {
    throw signingError(err)
  }
  throw new SigningFailedError('The wallet has no account', 'Connect an account in the wallet')
}

/**
 * Resolves `put`'s signer: an EIP-1193 provider signs with `eth_signTypedData_v4` for its first account
 * (asked to connect when none is). Every failure of the result is a `SignatureRejectedError` (the user
 * refused) or a `SigningFailedError`, so its name survives the worker boundary.
 *
 * @example
 * ```ts
 * const signer = await resolvePutSigner(window.ethereum)
 * console.log(signer.address) // the 0x address that will own the upload
 * ```
 */
export async function resolvePutSigner(signer: PutSigner): Promise<TypedDataSigner> {
  const resolved = isProvider(signer) ? eip1193Signer(signer, await walletAccount(signer)) : signer
  return {
    address: resolved.address,
    async signTypedData(data) {
      try {
        return await resolved.signTypedData(data)
      } catch (err) {
        throw signingError(err)
      }
    },
  }
}
