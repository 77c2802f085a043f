import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { RESOURCE_NODE_BIN as BIN } from '../src/index.js'

/** Runs the CLI to completion and returns exit code and stdout. */
export async function runNode(args: string[]): Promise<{ code: number | null; stdout: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  child.stdout?.on('data', (d) => {
    stdout += String(d)
  })
  const [code] = (await once(child, 'exit')) as [number | null]
  return { code, stdout }
}

/** `start` arguments for a meta node with its data in `dataDir` and TCP, WebSockets and HTTP on free ports. */
export function metaStartArgs(dataDir: string): string[] {
  return ['start', '--data-dir', dataDir, '--meta', '--tcp-port', '0', '--ws-port', '0', '--http-port', '0']
}
