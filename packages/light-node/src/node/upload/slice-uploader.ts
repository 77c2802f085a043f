/**
 * Sends a new file's slices to the one resource node an upload goes to; that node copies each slice on
 * to the other placed nodes (`forward`), so the browser's uplink carries every byte once whatever the
 * replica count.
 *
 * Over HTTP when the node announces an upload endpoint (the fast path: the browser's native HTTP and, in
 * production, TLS), else over the libp2p push protocol.
 */
import type { Libp2p } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import { type FileHash, isErrorNamed, type SliceHash, toHex } from '@stratos-edge/core'
import {
  findHttpUrl,
  isLibp2pAddress,
  openSlicePush,
  type PeerAddress,
  uploadSlice,
} from '@stratos-edge/protocol'
import type { ProviderInfo } from '../network-index.js'

/** Slices on their way to one node at once. */
export const UPLOADS_IN_FLIGHT = 4

/** A slice on its way out: its bytes, or a Blob holding them (a slice of the File being uploaded). */
export interface OutgoingSlice {
  readonly hash: SliceHash
  readonly fileHash: FileHash
  readonly number: number
  readonly data: Uint8Array | Blob
}

/** An open upload to one resource node. */
export interface SliceUploader {
  readonly peerId: string
  readonly via: 'http' | 'libp2p'
  /** Resolves once the node has verified and durably stored the slice. */
  send(slice: OutgoingSlice): Promise<void>
  close(): Promise<void>
}

/** The libp2p addresses of the nodes to forward to (the receiver dials them node to node). */
export function forwardList(forward: readonly ProviderInfo[]): PeerAddress[] {
  return forward.map((p) => ({ peerId: p.peerId, multiaddrs: p.multiaddrs.filter(isLibp2pAddress) }))
}

/** A failure worth one more attempt: the network, a timeout, the node's own trouble; not a refusal. */
function transient(err: unknown): boolean {
  if (isErrorNamed(err, 'ProtocolTimeoutError')) return true
  if (isErrorNamed(err, 'HttpUploadError')) {
    const status = (err as { status?: number }).status ?? 0
    return status === 0 || status >= 500
  }
  return false
}

/**
 * Opens an upload to `target` that asks it to copy every slice on to `forward`.
 *
 * @example
 * ```ts
 * const up = await openSliceUploader(libp2p, placed[0], placed.slice(1), { signal })
 * await up.send(slice)
 * await up.close()
 * ```
 */
export async function openSliceUploader(
  libp2p: Libp2p,
  target: ProviderInfo,
  forward: readonly ProviderInfo[],
  options: { signal: AbortSignal; ticket?: Uint8Array | undefined },
): Promise<SliceUploader> {
  const ticket = options.ticket
  const ticketHex = ticket ? toHex(ticket) : undefined
  const peers = forwardList(forward)
  const url = findHttpUrl(target.multiaddrs)
  if (url) {
    return {
      peerId: target.peerId,
      via: 'http',
      async send(slice) {
        const attempt = () =>
          uploadSlice(url, slice, {
            forward: peers,
            signal: options.signal,
            ...(ticketHex ? { ticket: ticketHex } : {}),
          })
        try {
          await attempt()
        } catch (err) {
          if (!transient(err) || options.signal.aborted) throw err
          await attempt()
        }
      },
      async close() {},
    }
  }
  const session = await openSlicePush(
    libp2p,
    target.multiaddrs.filter(isLibp2pAddress).map((a) => multiaddr(a)),
    { signal: options.signal, window: UPLOADS_IN_FLIGHT },
  )
  return {
    peerId: target.peerId,
    via: 'libp2p',
    send: async (slice) => {
      const data = slice.data instanceof Blob ? new Uint8Array(await slice.data.arrayBuffer()) : slice.data
      await session.push({ ...slice, data }, { forward: peers, ...(ticket ? { ticket } : {}) })
    },
    close: () => session.close(),
  }
}
