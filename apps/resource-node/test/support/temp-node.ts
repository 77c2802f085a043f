/** A real resource node on free ports with its data in a new temporary directory, for tests. */
import { createResourceNode, type ResourceNode, type ResourceNodeInit } from '../../src/index.js'
import { quietLogger, tempDir } from '../helpers.js'

/** A started node, its data directory, and `cleanup` to delete that directory (after `node.stop()`). */
export interface TempNode {
  node: ResourceNode
  dir: string
  cleanup(): Promise<void>
}

/**
 * Creates and starts a node with TCP, WebSockets and HTTP on free ports, a quiet logger, its data in
 * `stratos-<prefix>-…`, plus `init` (e.g. `meta: true`, `tickets`). On a failed start it stops the node
 * and deletes the directory before rethrowing.
 */
export async function startTempNode(prefix: string, init: Partial<ResourceNodeInit> = {}): Promise<TempNode> {
  const { dir, cleanup } = await tempDir(prefix)
  let node: ResourceNode | undefined
  try {
    node = await createResourceNode(
      { dataDir: dir, tcpPort: 0, wsPort: 0, httpPort: 0, ...init },
      { logger: quietLogger },
    )
    await node.start()
  } catch (err) {
    await node?.stop().catch(() => {})
    await cleanup()
    throw err
  }
  return { node, dir, cleanup }
}
