import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type SpawnedResourceNode, spawnResourceNode } from '@stratos-edge/resource-node'

/** A running resource node, started from its CLI inside the namespace. */
export interface ResourceNode {
  peerId: string
  multiaddrs: string[]
  /** The WebSockets multiaddr browsers dial. */
  wsAddr: string
  gatewayUrl: string | undefined
  /** The node's data directory (removed by `stop`). */
  dataDir: string
  stop(): Promise<void>
}

/**
 * The network id the e2e nodes sign upload tickets for (a local anvil's chain id); the fixture page
 * starts its light node with the same one.
 */
export const E2E_NETWORK = 31337

/**
 * Spawns the resource node CLI with the meta service and upload tickets on (every owner gets a free
 * allowance far above what a test uploads, so tests need no chain), listening on `host`, and waits for its ready line.
 * Ports 0 pick free ones; a test that restarts a node passes the ports it had.
 */
export function spawnMetaNode(
  host: string,
  dataDir: string,
  ports: { tcp: number; ws: number; http: number } = { tcp: 0, ws: 0, http: 0 },
  timeoutMs = 30_000,
): Promise<SpawnedResourceNode> {
  return spawnResourceNode({
    args: [
      'start',
      '--meta',
      '--host',
      host,
      '--data-dir',
      dataDir,
      '--tcp-port',
      String(ports.tcp),
      '--ws-port',
      String(ports.ws),
      '--http-port',
      String(ports.http),
      '--network',
      String(E2E_NETWORK),
      '--free-ozone',
      '1t',
    ],
    stderr: 'inherit',
    onLine: (line) => process.stderr.write(`[resource-node] ${line}\n`),
    timeoutMs,
  })
}

/**
 * Starts `stratos-edge-node start` listening on `host` in a fresh data directory and waits for its
 * machine-readable ready line (a JSON object with peerId, multiaddrs and gatewayUrl).
 */
export async function startResourceNode(host: string, timeoutMs = 30_000): Promise<ResourceNode> {
  const dataDir = mkdtempSync(join(tmpdir(), 'stratos-e2e-node-'))
  const node = await spawnMetaNode(host, dataDir, undefined, timeoutMs)
  const { ready } = node
  const wsAddr = ready.multiaddrs.find((a) => a.includes(`/ip4/${host}/`) && a.includes('/ws'))
  if (!wsAddr)
    throw new Error(`resource node has no WebSockets address on ${host}: ${ready.multiaddrs.join(', ')}`)
  const full = wsAddr.includes('/p2p/') ? wsAddr : `${wsAddr}/p2p/${ready.peerId}`
  return {
    peerId: ready.peerId,
    multiaddrs: ready.multiaddrs,
    wsAddr: full,
    gatewayUrl: ready.gatewayUrl || undefined,
    dataDir,
    async stop() {
      await node.stop()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}
