import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { RESOURCE_NODE_BIN as BIN } from '../src/index.js'

/** Runs the CLI to completion and returns exit code, stdout and stderr. */
export async function runNode(
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (d) => {
    stdout += String(d)
  })
  child.stderr?.on('data', (d) => {
    stderr += String(d)
  })
  // 'close', not 'exit': both pipes are read to the end.
  const [code] = (await once(child, 'close')) as [number | null]
  return { code, stdout, stderr }
}

/** `start` arguments for a meta node with its data in `dataDir` and TCP, WebSockets and HTTP on free ports. */
export function metaStartArgs(dataDir: string): string[] {
  return ['start', '--data-dir', dataDir, '--meta', '--tcp-port', '0', '--ws-port', '0', '--http-port', '0']
}
