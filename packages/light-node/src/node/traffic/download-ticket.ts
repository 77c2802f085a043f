import {
  decodeTicket,
  encodeDownloadTicketRequest,
  type FileHash,
  type KeyPair,
  privateKeySigner,
  signDownloadTicketRequest,
  type Ticket,
} from '@stratos-edge/core'
import { untilAborted } from '../until-aborted.js'
import type { TrafficIndex } from './traffic-index.js'

/**
 * Asks the meta service for a download ticket for `fileHash`, the request signed by the node key in
 * the worker (the ticket's holder, who signs the receipts). The file's owner pays. `owner` is the
 * manifest owner being read (an sdm:// URI's), when known. An aborted `signal` asks nothing, or
 * abandons the request in flight.
 *
 * @example
 * ```ts
 * const { ticket } = await requestDownloadTicket({ network: 31337, fileHash, owner }, { nodeKey, index })
 * ```
 */
export async function requestDownloadTicket(
  init: { network: number; fileHash: FileHash; owner?: string },
  components: { nodeKey: KeyPair; index: Pick<TrafficIndex, 'requestDownloadTicket'> },
  signal?: AbortSignal,
): Promise<{ ticket: Ticket; bytes: Uint8Array }> {
  signal?.throwIfAborted()
  const request = await signDownloadTicketRequest(
    {
      network: init.network,
      fileHash: init.fileHash,
      ...(init.owner ? { owner: init.owner } : {}),
    },
    privateKeySigner(components.nodeKey.privateKey),
  )
  signal?.throwIfAborted()
  const asked = components.index.requestDownloadTicket(encodeDownloadTicketRequest(request), signal)
  asked.catch(() => {}) // abandoned: its late failure is nobody's
  const bytes = signal ? await untilAborted(asked, signal) : await asked
  return { ticket: decodeTicket(bytes), bytes }
}
