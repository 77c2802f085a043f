import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { ReadyInfo } from '../node/resource-node.js'

/** Path of the `stratos-edge-node` CLI script. */
export const RESOURCE_NODE_BIN = fileURLToPath(new URL('../../bin/stratos-edge-node.js', import.meta.url))

/** Options of {@link spawnResourceNode}. */
export interface SpawnResourceNodeInit {
  /** CLI arguments, e.g. `['start', '--meta', '--data-dir', dir]`. */
  args: string[]
  /** Where the JSON logs (stderr) go: `'inherit'`, or a stream to pipe them to; default kept for errors. */
  stderr?: 'inherit' | NodeJS.WritableStream
  /** Called with every stdout line other than the ready line. */
  onLine?: (line: string) => void
  /** Default 30 s. */
  timeoutMs?: number
}

/** A resource node running as a child process. */
export interface SpawnedResourceNode {
  child: ChildProcess
  /** The parsed JSON ready line. */
  ready: ReadyInfo
  /** The last 64 KiB of stderr when it was kept (neither inherited nor piped). */
  stderr(): string
  /** SIGTERM, then SIGKILL after 5 s; resolves when the process has exited. */
  stop(): Promise<void>
}

/**
 * Starts the `stratos-edge-node` CLI with this Node and resolves once it prints its JSON ready line; rejects
 * (and kills the child) when it exits first or is not ready in time. For launchers, tests and benchmarks.
 *
 * @example
 * ```ts
 * const node = await spawnResourceNode({ args: ['start', '--meta', '--data-dir', dir, '--http-port', '0'] })
 * console.log(node.ready.gatewayUrl)
 * await node.stop()
 * ```
 */
export async function spawnResourceNode(init: SpawnResourceNodeInit): Promise<SpawnedResourceNode> {
  const { stderr } = init
  const child = spawn(process.execPath, [RESOURCE_NODE_BIN, ...init.args], {
    stdio: ['ignore', 'pipe', stderr === 'inherit' ? 'inherit' : 'pipe'],
  })
  let kept = ''
  if (stderr === undefined) {
    child.stderr?.on('data', (d) => {
      kept = (kept + String(d)).slice(-65536)
    })
  } else if (stderr !== 'inherit') child.stderr?.pipe(stderr)
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    child.kill('SIGTERM')
    const killer = setTimeout(() => child.kill('SIGKILL'), 5000)
    await exited
    clearTimeout(killer)
  }
  const timeoutMs = init.timeoutMs ?? 30_000
  const ready = await new Promise<ReadyInfo>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`resource node not ready within ${timeoutMs} ms: ${kept}`))
    }, timeoutMs)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`resource node exited with ${code} before it was ready: ${kept}`))
    })
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let parsed: { event?: string } | undefined
      try {
        parsed = JSON.parse(line) as { event?: string }
      } catch {
        // not JSON
      }
      if (parsed?.event === 'ready') {
        clearTimeout(timer)
        resolve(parsed as ReadyInfo)
      } else init.onLine?.(line)
    })
  })
  return { child, ready, stderr: () => kept, stop }
}
