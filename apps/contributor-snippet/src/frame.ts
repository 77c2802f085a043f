// The snippet's frame: loaded only after the visitor consented, in the node's own origin (workers must be
// same-origin). It runs a light node with the budget the embedding page set, tells the page what it gives,
// and stops when asked or when the tab closes (the frame, its worker and its connections end with it).
import { createLightNode, type LightNode } from '@stratos-edge/light-node'
import type { FrameStatus } from './snippet-messages.ts'
import { MAX_BUDGET_BYTES } from './snippet-messages.ts'

const budget = Math.min(
  Number(new URLSearchParams(location.hash.slice(1)).get('budget')) || 0,
  MAX_BUDGET_BYTES,
)
let node: LightNode | undefined
let timer: ReturnType<typeof setInterval> | undefined

/** Posts the node's state; `budgetBytes` is the store's own budget once it runs (what really holds). */
function post(status: Omit<FrameStatus, 'type' | 'budgetBytes'> & { budgetBytes?: number }): void {
  const message: FrameStatus = { type: 'stratos-edge:status', budgetBytes: budget, ...status }
  parent.postMessage(message, '*') // nothing secret: sizes only
}

async function report(): Promise<void> {
  if (!node) return
  try {
    const stat = await node.stat()
    const online = stat.connections.some((c) => c.kind === 'websockets')
    post({
      state: online ? 'running' : 'offline',
      keptBytes: stat.store.cachedBytes,
      servedBytes: stat.served.bytes,
    })
  } catch (err) {
    post({ state: 'stopped', keptBytes: 0, servedBytes: 0, detail: (err as Error).message })
  }
}

async function stop(): Promise<void> {
  clearInterval(timer)
  const running = node
  node = undefined
  if (running) {
    await running.contribute({ bytes: 0 }).catch(() => {})
    await running.stop().catch(() => {})
  }
  post({ state: 'stopped', keptBytes: 0, servedBytes: 0 })
}

async function main(): Promise<void> {
  if (!(budget > 0)) throw new Error('no budget given')
  post({ state: 'starting', keptBytes: 0, servedBytes: 0 })
  const config = (await (await fetch('config.json', { cache: 'no-store' })).json()) as {
    resourceNodes: string[]
    gatewayUrl?: string
    /** The network id upload tickets are signed for, when the resource nodes ask for tickets. */
    network?: number
  }
  node = await createLightNode({
    resourceNodes: config.resourceNodes,
    storeName: 'stratos-edge-contributor',
    budgetBytes: budget,
    ...(config.gatewayUrl ? { gatewayUrl: config.gatewayUrl } : {}),
    ...(config.network !== undefined ? { network: config.network } : {}),
  })
  // The budget kept in the store wins over the option: set it, so a smaller budget than last time holds.
  await node.contribute({ bytes: budget })
  await report()
  timer = setInterval(() => void report(), 2000)
}

addEventListener('message', (event) => {
  if (event.source === parent && (event.data as { type?: string })?.type === 'stratos-edge:stop') void stop()
})
main().catch((err) =>
  post({ state: 'offline', keptBytes: 0, servedBytes: 0, detail: (err as Error).message }),
)
