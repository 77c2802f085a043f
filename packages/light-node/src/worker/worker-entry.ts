/**
 * The light node's DedicatedWorker entry. Installs the RTCPeerConnection stand-in first, then loads the
 * node (and with it libp2p) through a dynamic import, because `@libp2p/webrtc` copies the RTC globals
 * when its module loads. The page connects comlink through a MessagePort it sends in the first message.
 * Before anything else it answers the page's heartbeat and takes its life lock (see worker-watch.ts), so
 * the page notices when this worker ends or hangs.
 */
import { expose } from 'comlink'
import type { WorkerPing, WorkerPong } from '../client/worker-watch.js'
import { installRtcStandIn, type RtcPort } from '../rtc/rtc-stand-in.js'
import { installErrorTransfer } from './error-transfer.js'

const scope = globalThis as unknown as RtcPort & {
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void
  postMessage(message: WorkerPong): void
  navigator?: { locks?: LockManager }
}

scope.addEventListener('message', (event: MessageEvent) => {
  const ping = (event.data as Partial<WorkerPing> | undefined)?.stratosEdgePing
  if (typeof ping === 'number') scope.postMessage({ stratosEdgePong: ping })
})

// Held until this worker ends: the browser then grants the page's waiting request for it.
const lifeLock = `stratos-edge-worker-${crypto.randomUUID()}`
void scope.navigator?.locks
  ?.request(lifeLock, () => {
    scope.postMessage({ stratosEdgeLifeLock: lifeLock })
    return new Promise<never>(() => {})
  })
  .catch(() => {})

installRtcStandIn(scope)
installErrorTransfer()

const ready = import('../node/light-node-service.js').then((m) => m.createLightNodeService())

scope.addEventListener('message', (event: MessageEvent) => {
  const data = event.data as { stratosEdgeApiPort?: MessagePort } | undefined
  if (data && typeof data === 'object' && data.stratosEdgeApiPort instanceof MessagePort) {
    const port = data.stratosEdgeApiPort
    ready.then(
      (service) => expose(service, port),
      (err: unknown) => port.postMessage({ stratosEdgeLoadError: String((err as Error)?.stack ?? err) }),
    )
  }
})
