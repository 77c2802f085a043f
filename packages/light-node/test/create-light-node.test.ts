/**
 * The page-side handle over a real MessageChannel with comlink; the worker is a stand-in that serves a
 * fake node whose calls never answer (a worker busy, or gone).
 */
import { expose } from 'comlink'
import { afterEach, describe, expect, it } from 'vitest'
import { createLightNode, type LightNode } from '../src/client/create-light-node.js'

const never = () => new Promise<never>(() => {})

/** What the page reaches of the worker; `stop` and `contribute` answer, the rest never does. */
const service = {
  start: async () => ({ peerId: 'fake-peer' }),
  contribute: async () => ({ persisted: false }),
  put: never,
  stat: never,
  openRead: async () => {},
  readChunk: never,
  readInto: never,
  abort: async () => {},
  stop: async () => {},
}

/** Enough of a Worker: the API port it is handed is served by `service`; terminate closes it. */
class StandInWorker extends EventTarget {
  private port: MessagePort | undefined
  /** A hung worker answers no heartbeat. */
  hung = false
  terminated = false
  postMessage(message: unknown): void {
    const port = (message as { stratosEdgeApiPort?: MessagePort }).stratosEdgeApiPort
    if (port) {
      this.port = port
      expose(service, port)
    }
    const ping = (message as { stratosEdgePing?: number }).stratosEdgePing
    if (ping !== undefined && !this.hung)
      setTimeout(() => this.dispatchEvent(new MessageEvent('message', { data: { stratosEdgePong: ping } })))
  }
  terminate(): void {
    this.terminated = true
    this.port?.close()
  }
  fail(): void {
    this.dispatchEvent(Object.assign(new Event('error'), { message: 'worker crashed' }))
  }
}

let worker: StandInWorker
let node: LightNode
afterEach(async () => node.stop())

async function start(): Promise<LightNode> {
  worker = new StandInWorker()
  node = await createLightNode({ resourceNodes: [], worker: () => worker as unknown as Worker })
  return node
}

/** The promise's outcome, or 'pending' if it has none within `ms` (500 ms). */
async function outcome(p: Promise<unknown>, ms = 500): Promise<string> {
  const timeout = new Promise<string>((resolve) => setTimeout(() => resolve('pending'), ms))
  return Promise.race([
    p.then(
      () => 'resolved',
      (err: Error) => err.name,
    ),
    timeout,
  ])
}

describe('createLightNode', () => {
  it('rejects calls and errors reads still waiting on the worker with NodeStoppedError when stopped', async () => {
    await start()
    const put = node.put(new Uint8Array(10))
    const stat = node.stat()
    const read = node.get('v05j1m5').getReader().read()
    await new Promise((resolve) => setTimeout(resolve, 50))
    await node.stop()
    expect(await outcome(put)).toBe('NodeStoppedError')
    expect(await outcome(stat)).toBe('NodeStoppedError')
    expect(await outcome(read)).toBe('NodeStoppedError')
  })

  it('does not end the node on an uncaught error in the worker (the worker runs on): calls still go through', async () => {
    await start()
    worker.fail()
    // Longer than the heartbeat's timeout: a worker that answers it is not taken for lost.
    await new Promise((resolve) => setTimeout(resolve, 2000))
    expect(await outcome(node.contribute({ bytes: 1 }))).toBe('resolved')
    await node.stop()
    expect(await outcome(node.stat())).toBe('NodeStoppedError')
  })

  it('rejects every waiting call with WorkerLostError 4 s after the worker stops answering', async () => {
    await start()
    const put = node.put(new Uint8Array(10))
    const read = node.get('v05j1m5').getReader().read()
    const t0 = Date.now()
    worker.hung = true
    // A hung worker is declared lost after 4 s of silence (an ended one at once, through its life lock).
    expect(await outcome(put, 6000)).toBe('WorkerLostError')
    expect(Date.now() - t0).toBeGreaterThanOrEqual(3800)
    expect(Date.now() - t0).toBeLessThan(5000)
    expect(await outcome(read)).toBe('WorkerLostError')
    expect(worker.terminated).toBe(true)
    // Later calls fail at once with the same error.
    expect(await outcome(node.stat(), 50)).toBe('WorkerLostError')
  }, 10_000)

  it('gives up on a worker that does not answer right after an error event', async () => {
    await start()
    const stat = node.stat()
    const t0 = Date.now()
    worker.hung = true
    worker.fail()
    expect(await outcome(stat, 2000)).toBe('WorkerLostError')
    expect(Date.now() - t0).toBeLessThan(1000)
  })
})
