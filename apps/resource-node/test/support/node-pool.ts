/** Resource nodes a test file starts one per test, all stopped and deleted once at the end. */
import type { ResourceNode, ResourceNodeInit } from '../../src/index.js'
import { startTempNode } from './temp-node.js'

/** Starts nodes on demand; `close` stops them all, then deletes their data directories. */
export interface NodePool {
  start(init: Partial<ResourceNodeInit>): Promise<ResourceNode>
  close(): Promise<void>
}

/** A pool whose nodes keep their data in directories named from `prefix` (see `startTempNode`). */
export function createNodePool(prefix: string): NodePool {
  const nodes: ResourceNode[] = []
  const cleanups: Array<() => Promise<void>> = []
  return {
    async start(init) {
      const started = await startTempNode(prefix, init)
      nodes.push(started.node)
      cleanups.push(started.cleanup)
      return started.node
    },
    async close() {
      for (const n of nodes) await n.stop()
      for (const c of cleanups) await c()
    },
  }
}
