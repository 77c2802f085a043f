/** A real resource node running the meta service, and a plain libp2p client to reach it, for Node tests. */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Libp2p } from '@libp2p/interface'
import {
  createLogger,
  createResourceNode,
  type ResourceNode,
  type ResourceNodeInit,
} from '@stratos-edge/resource-node'
import { createWsLibp2p } from './ws-libp2p.js'

/** A started meta resource node, a dial-only client, and `close` to stop both and delete the data dir. */
export interface MetaResourceNode {
  node: ResourceNode
  /** The node's data directory (deleted by `close`). */
  dir: string
  client: Libp2p
  close(): Promise<void>
}

/**
 * Starts a resource node with the meta service on free ports, its data in a new temporary directory named
 * from `prefix`, plus `config` (e.g. `tickets`); then a WebSockets libp2p client.
 */
export async function startMetaResourceNode(
  prefix: string,
  config: Partial<ResourceNodeInit> = {},
): Promise<MetaResourceNode> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  const node = await createResourceNode(
    { dataDir: dir, meta: true, tcpPort: 0, wsPort: 0, httpPort: 0, ...config },
    { logger: createLogger({ level: 'error' }) },
  )
  await node.start()
  const client = await createWsLibp2p()
  return {
    node,
    dir,
    client,
    async close() {
      await client.stop()
      await node.stop()
      await rm(dir, { recursive: true, force: true })
    },
  }
}
