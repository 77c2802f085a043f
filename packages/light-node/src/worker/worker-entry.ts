/**
 * The light node's DedicatedWorker entry. Installs the RTCPeerConnection stand-in first, then loads the
 * node (and with it libp2p) through a dynamic import, because `@libp2p/webrtc` copies the RTC globals
 * when its module loads. The page connects comlink through a MessagePort it sends in the first message.
 */
import { expose } from 'comlink'
import { installRtcStandIn, type RtcPort } from '../rtc/rtc-stand-in.js'

const scope = globalThis as unknown as RtcPort & {
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void
}

installRtcStandIn(scope)

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
