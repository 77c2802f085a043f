import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')

/** A running resource node, started from its CLI inside the namespace. */
export interface ResourceNode {
  peerId: string
  multiaddrs: string[]
  /** The WebSockets multiaddr browsers dial. */
  wsAddr: string
  gatewayUrl: string | undefined
  stop(): Promise<void>
}

/**
 * Starts `stratos-edge-node start` listening on `host` and waits for its machine-readable ready line
 * (a JSON object with peerId, multiaddrs and gatewayUrl).
 */
export async function startResourceNode(host: string, timeoutMs = 30_000): Promise<ResourceNode> {
  const dataDir = mkdtempSync(join(tmpdir(), 'stratos-e2e-node-'))
  const cli = join(repo, 'apps', 'resource-node', 'bin', 'stratos-edge-node.js')
  // E2E_DEV_NODE=<script> runs another resource node implementation speaking the same ready line.
  const dev = process.env.E2E_DEV_NODE
  let child: ChildProcess
  if (dev && existsSync(dev)) {
    child = spawn(process.execPath, [dev, host], { stdio: ['ignore', 'pipe', 'inherit'], cwd: repo })
  } else {
    child = spawn(
      process.execPath,
      [
        cli,
        'start',
        '--meta',
        '--host',
        host,
        '--data-dir',
        dataDir,
        '--tcp-port',
        '0',
        '--ws-port',
        '0',
        '--http-port',
        '0',
      ],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
        cwd: repo,
      },
    )
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const ready = await new Promise<{ peerId: string; multiaddrs: string[]; gatewayUrl?: string }>(
    (resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL')
        reject(new Error(`resource node not ready within ${timeoutMs} ms`))
      }, timeoutMs)
      const lines = createInterface({ input: child.stdout! })
      lines.on('line', (line) => {
        process.stderr.write(`[resource-node] ${line}\n`)
        try {
          const parsed = JSON.parse(line) as { peerId?: string; multiaddrs?: string[]; gatewayUrl?: string }
          if (parsed.peerId && parsed.multiaddrs) {
            clearTimeout(timer)
            resolve(parsed as { peerId: string; multiaddrs: string[]; gatewayUrl?: string })
          }
        } catch {
          // Not the ready line.
        }
      })
      child.once('exit', (code) => {
        clearTimeout(timer)
        reject(new Error(`resource node exited early (${code})`))
      })
    },
  )
  const wsAddr = ready.multiaddrs.find((a) => a.includes(`/ip4/${host}/`) && a.includes('/ws'))
  if (!wsAddr)
    throw new Error(`resource node has no WebSockets address on ${host}: ${ready.multiaddrs.join(', ')}`)
  const full = wsAddr.includes('/p2p/') ? wsAddr : `${wsAddr}/p2p/${ready.peerId}`
  return {
    peerId: ready.peerId,
    multiaddrs: ready.multiaddrs,
    wsAddr: full,
    gatewayUrl: ready.gatewayUrl,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM')
        const killer = setTimeout(() => child.kill('SIGKILL'), 5000)
        await exited
        clearTimeout(killer)
      }
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}
