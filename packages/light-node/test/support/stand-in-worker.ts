/** A worker stand-in for Node tests: serves a real {@link LightNodeService} to the page client over comlink. */
import { expose } from 'comlink'
import type { LightNodeService } from '../../src/node/light-node-service.js'

/** Serves the real service on the API port it is handed, and answers the page's heartbeat. */
export class StandInWorker extends EventTarget {
  private port: MessagePort | undefined
  constructor(private readonly service: LightNodeService) {
    super()
  }
  postMessage(message: unknown): void {
    const port = (message as { stratosEdgeApiPort?: MessagePort }).stratosEdgeApiPort
    if (port) {
      this.port = port
      expose(this.service, port)
    }
    const ping = (message as { stratosEdgePing?: number }).stratosEdgePing
    if (ping !== undefined)
      setTimeout(() => this.dispatchEvent(new MessageEvent('message', { data: { stratosEdgePong: ping } })))
  }
  terminate(): void {
    this.port?.close()
  }
}
