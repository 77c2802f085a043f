/** The snapshot `stat()` returns: peers and connections, the store, traffic counts, where it runs. */
import type { LightNodeStat } from '../api-types.js'
import { rtcStandInStats } from '../rtc/rtc-stand-in.js'
import { connectionKind } from './connection-kind.js'
import type { Runtime } from './runtime.js'

/** Reads a light node's snapshot. */
export function readNodeStat(
  runtime: Runtime,
  counts: { fetched: LightNodeStat['fetched']; persisted: boolean | undefined },
): LightNodeStat {
  const { libp2p, store, served, owner } = runtime
  const standIn = rtcStandInStats()
  const scope = globalThis as { WorkerGlobalScope?: unknown; document?: unknown }
  const rtc = (globalThis as { RTCPeerConnection?: unknown }).RTCPeerConnection
  return {
    peerId: libp2p.peerId.toString(),
    ownerAddress: owner.evmAddress,
    multiaddrs: libp2p.getMultiaddrs().map((m) => m.toString()),
    connections: libp2p.getConnections().map((c) => ({
      peerId: c.remotePeer.toString(),
      remoteAddr: c.remoteAddr.toString(),
      kind: connectionKind(c),
      limited: c.limits !== undefined,
    })),
    store: store.stat(),
    served: { ...served },
    fetched: { ...counts.fetched },
    persisted: counts.persisted,
    runtime: {
      inWorker: typeof scope.WorkerGlobalScope !== 'undefined' && typeof scope.document === 'undefined',
      hasRealRtc:
        typeof rtc === 'function' && (rtc as { stratosEdgeStandIn?: boolean }).stratosEdgeStandIn !== true,
      standInPeerConnections: standIn.peerConnections,
    },
  }
}
