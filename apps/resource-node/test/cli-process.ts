import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import type { ReadyInfo } from '../src/index.js'

export const BIN = fileURLToPath(new URL('../bin/stratos-edge-node.js', import.meta.url))

/** Spawns the CLI (with this Node) and resolves with the parsed ready line. */
export async function spawnNode(
  args: string[],
): Promise<{ child: ChildProcess; ready: ReadyInfo; stderr: () => string }> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let err = ''
  child.stderr?.on('data', (d) => {
    err += String(d)
  })
  let out = ''
  const ready = await new Promise<ReadyInfo>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`node did not get ready: ${err}`)), 30_000)
    child.stdout?.on('data', (d) => {
      out += String(d)
      const line = out.split('\n').find((l) => l.includes('"event":"ready"'))
      if (line) {
        clearTimeout(timer)
        resolve(JSON.parse(line) as ReadyInfo)
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`node exited with ${code}: ${err}`))
    })
  })
  return { child, ready, stderr: () => err }
}

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
