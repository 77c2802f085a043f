/**
 * The creator's wallet: which signer owns the upload (the `signer` property, or `wallet="injected"` for
 * the page's `window.ethereum`), and the words for its failures.
 */
import type { Eip1193Provider } from '@stratos-edge/core'
import type { PutSigner } from '@stratos-edge/light-node'
import { WalletNotFoundError, WalletRejectedError, WalletSigningError } from './errors.js'

/** What the host set: the `wallet` attribute and the `signer` property. */
export interface WalletSettings {
  /** The `wallet` attribute: `injected` uses `window.ethereum`; empty or absent: no wallet. */
  readonly attribute: string | null
  /** The `signer` property: an EIP-1193 provider or any `{ address, signTypedData }`; wins over the attribute. */
  readonly signer: PutSigner | undefined
  /** Where `window.ethereum` lives (the page's global object). */
  readonly global?: { ethereum?: Eip1193Provider }
}

/**
 * The signer that owns the upload, or undefined when the light node's own key owns it (no wallet set).
 * Throws `WalletNotFoundError` when `wallet="injected"` and the page has no `window.ethereum`.
 */
export function resolveWallet(settings: WalletSettings): PutSigner | undefined {
  if (settings.signer) return settings.signer
  const mode = settings.attribute?.trim().toLowerCase()
  if (!mode || mode === 'none') return undefined
  if (mode !== 'injected')
    throw new WalletNotFoundError(
      `Unknown wallet "${settings.attribute}"`,
      'Use wallet="injected" or set the signer property',
    )
  const ethereum = (settings.global ?? (globalThis as { ethereum?: Eip1193Provider })).ethereum
  if (!ethereum || typeof ethereum.request !== 'function')
    throw new WalletNotFoundError(
      'No wallet was found in this browser',
      'Install or unlock a wallet extension, then press Retry',
    )
  return ethereum
}

/** True when `signer` can also send transactions (an EIP-1193 provider, not a bare typed-data signer). */
export function isEip1193(signer: unknown): signer is Eip1193Provider {
  return typeof (signer as Eip1193Provider | undefined)?.request === 'function'
}

/** Rewrites a wallet failure of the light node into the widget's errors; undefined for anything else. */
export function explainWalletError(err: unknown): Error | undefined {
  const name = (err as Error | undefined)?.name
  if (name === 'SignatureRejectedError')
    return new WalletRejectedError(
      'You declined the signature in your wallet, so nothing was published',
      'Press Retry and approve the request to own your files',
      { cause: err },
    )
  if (name === 'SigningFailedError')
    return new WalletSigningError(
      'Your wallet could not sign the upload',
      'Unlock your wallet and check it has an account, then press Retry',
      { cause: err },
    )
  return undefined
}
