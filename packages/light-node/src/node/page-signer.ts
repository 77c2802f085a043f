/** The page's wallet as the worker sees it: a comlink proxy of `{ address, signTypedData }`. */
import { type TypedDataSigner, toEvmAddress } from '@stratos-edge/core'
import { type Remote, releaseProxy } from 'comlink'

/** A page signer (a comlink proxy) or a local one (tests). */
export type PageSigner = Remote<TypedDataSigner> | TypedDataSigner

/**
 * Runs `use` with the page's signer as a plain `TypedDataSigner` (undefined: the node's own key), then
 * releases the proxy: the page's end of its channel stays open until released.
 */
export async function withPageSigner<T>(
  signer: PageSigner | undefined,
  use: (owner: TypedDataSigner | undefined) => Promise<T>,
): Promise<T> {
  try {
    const owner: TypedDataSigner | undefined = signer && {
      // A proxy's property reads are asynchronous.
      address: toEvmAddress(await signer.address),
      signTypedData: (data) => signer.signTypedData(data),
    }
    return await use(owner)
  } finally {
    ;(signer as Partial<Remote<TypedDataSigner>> | undefined)?.[releaseProxy]?.()
  }
}
