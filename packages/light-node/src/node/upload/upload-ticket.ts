import {
  encodeTicketRequest,
  InsufficientOzoneError,
  isErrorNamed,
  type StratosEdgeError,
  signTicketRequest,
  TicketRequiredError,
  type TypedDataSigner,
} from '@stratos-edge/core'
import type { NetworkIndex } from '../network-index.js'

/**
 * Asks the meta service for an upload ticket for `bytes`, the request signed by the owner's signer (so
 * nobody can spend another's ozone). Called before the first byte of an upload is read or sent. Throws
 * `InsufficientOzoneError` saying how much is missing and how to prepay, or `TicketRequiredError` when no
 * meta service can issue one.
 *
 * @example
 * ```ts
 * const ticket = await requestUploadTicket(137, file.size, privateKeySigner(ownerKey), index)
 * ```
 */
export async function requestUploadTicket(
  network: number,
  bytes: number,
  signer: TypedDataSigner,
  index: Pick<NetworkIndex, 'requestTicket'> | undefined,
): Promise<Uint8Array> {
  if (!index?.requestTicket) {
    throw new TicketRequiredError(
      `Network ${network} needs an upload ticket and no meta service is configured to issue one`,
      'Start the node with resourceNodes that run the meta service',
    )
  }
  const request = await signTicketRequest({ network, bytes: BigInt(bytes) }, signer)
  try {
    return await index.requestTicket(encodeTicketRequest(request))
  } catch (err) {
    if (isErrorNamed(err, 'InsufficientOzoneError')) {
      const short = err as InsufficientOzoneError
      throw new InsufficientOzoneError(
        (err as StratosEdgeError).shortMessage ?? String(err),
        `Prepay STOS to the StoragePayments contract on Polygon with ${signer.address} as beneficiary (polygon-bridge prepay), wait for the meta service to credit it, then upload again`,
        { cause: err, owner: short.owner ?? signer.address, shortfallBytes: short.shortfallBytes },
      )
    }
    throw err
  }
}
