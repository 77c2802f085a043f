/** Where an upload goes: the meta service's placement, the home node first when it holds staged slices. */
import { multiaddr } from '@multiformats/multiaddr'
import { findHttpUrl, httpUrlToMultiaddr, isLibp2pAddress } from '@stratos-edge/protocol'
import type { NetworkIndex, ProviderInfo } from '../network-index.js'

/** Resource nodes that keep each upload (the meta service's default placement). */
export const DEFAULT_REPLICAS = 2

/**
 * The resource nodes to send a file to: the meta service's placement, or, when it cannot answer, the
 * first configured resource nodes. None when `replicas` is 0.
 */
export async function placeFile(
  fileHash: string,
  size: number,
  init: { resourceNodes: readonly string[]; replicas?: number | undefined },
  index: NetworkIndex | undefined,
): Promise<ProviderInfo[]> {
  const replicas = init.replicas ?? DEFAULT_REPLICAS
  if (replicas <= 0) return []
  try {
    const placed = await index?.place(fileHash, size, replicas)
    if (placed && placed.length > 0) return placed
  } catch {
    // Fall back to the configured resource nodes.
  }
  return init.resourceNodes.slice(0, replicas).map((a) => {
    const m = multiaddr(a)
    return {
      peerId: m.getComponents().findLast((c) => c.name === 'p2p')?.value ?? '',
      multiaddrs: [a],
      kind: 'resource' as const,
    }
  })
}

/**
 * The upload targets when slices were staged on the home node: the home node first (it holds them),
 * then the placed nodes that are not it.
 */
export function withHomeFirst(
  placement: ProviderInfo[],
  homePeerId: string,
  homeUrl: string,
  replicas: number,
): ProviderInfo[] {
  const placed = placement.find((p) => p.peerId === homePeerId)
  const homeInfo: ProviderInfo = {
    peerId: homePeerId,
    kind: 'resource',
    multiaddrs: [httpUrlToMultiaddr(homeUrl), ...(placed?.multiaddrs.filter(isLibp2pAddress) ?? [])],
  }
  return [homeInfo, ...placement.filter((p) => p.peerId !== homePeerId)].slice(0, Math.max(1, replicas))
}

/** The file's URL on a replica's own gateway (announced with its addresses), else on `fallbackBase`. */
export function gatewayUrlOf(
  provider: ProviderInfo,
  uri: string,
  fallbackBase: string | undefined,
): string | undefined {
  // By URI, the primary reference: it names whose manifest is meant.
  const base = findHttpUrl(provider.multiaddrs) ?? fallbackBase
  return base ? `${base.replace(/\/$/, '')}/files/${uri}` : undefined
}
