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
  postMessage(message: unknown): void {
    const port = (message as { stratosEdgeApiPort?: MessagePort }).stratosEdgeApiPort
    if (port) {
      this.port = port
      expose(service, port)
    }
  }
  terminate(): void {
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

/** The promise's outcome, or 'pending' if it has none within 500 ms. */
async function outcome(p: Promise<unknown>): Promise<string> {
  const timeout = new Promise<string>((resolve) => setTimeout(() => resolve('pending'), 500))
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
    expect(await outcome(node.contribute({ bytes: 1 }))).toBe('resolved')
    await node.stop()
    expect(await outcome(node.stat())).toBe('NodeStoppedError')
  })
})
