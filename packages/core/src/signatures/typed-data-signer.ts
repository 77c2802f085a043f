import { type EvmAddress, toEvmAddress } from '../keys/address.js'
import { keyPairFromPrivateKey } from '../keys/keys.js'
import { type SignatureBytes, signatureToBytes } from './ecdsa.js'
import { signTypedData, type TypedData, toEip1193TypedData } from './typed-data.js'

/**
 * Whoever signs for an owner: a wallet on the page, or a key the node holds. Manifests, upload-ticket
 * requests and traffic receipts are all EIP-712 data, so this one shape serves every signature a node
 * asks its owner for, and no private key has to cross into the code that asks.
 */
export interface TypedDataSigner {
  /** The signing account (`0x…`; its `st1…` form names the same 20 bytes). */
  readonly address: EvmAddress
  /** Signs the typed data; resolves to the 65-byte signature (bytes or `0x` hex). */
  signTypedData(data: TypedData): Promise<SignatureBytes | string>
}

/**
 * The smallest EIP-1193 provider shape (`window.ethereum`, or any wallet library's provider).
 */
export interface Eip1193Provider {
  request(args: { method: string; params?: readonly unknown[] }): Promise<unknown>
}

/**
 * A signer backed by a private key held in this context.
 *
 * @example
 * ```ts
 * const signer = privateKeySigner('0x' + '01'.repeat(32))
 * const signature = signatureToBytes(await signer.signTypedData(data))
 * ```
 */
export function privateKeySigner(privateKey: Uint8Array | string): TypedDataSigner {
  const pair = keyPairFromPrivateKey(privateKey)
  return {
    address: pair.evmAddress,
    async signTypedData(data) {
      return signTypedData(data, pair.privateKey)
    },
  }
}

/**
 * A signer that asks an EIP-1193 wallet (`eth_signTypedData_v4`) for `address`; the wallet shows the
 * user what they sign.
 *
 * @example
 * ```ts
 * const [address] = (await window.ethereum.request({ method: 'eth_requestAccounts' })) as string[]
 * const signer = eip1193Signer(window.ethereum, address)
 * ```
 */
export function eip1193Signer(provider: Eip1193Provider, address: string): TypedDataSigner {
  const account = toEvmAddress(address)
  return {
    address: account,
    async signTypedData(data) {
      const signature = await provider.request({
        method: 'eth_signTypedData_v4',
        params: [account, toEip1193TypedData(data)],
      })
      return signatureToBytes(signature as string)
    },
  }
}
