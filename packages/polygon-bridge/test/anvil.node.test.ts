import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { describe, expect, it } from 'vitest'

const anvilModule = pathToFileURL(
  join(dirname(fileURLToPath(import.meta.url)), '../dist/local/anvil.js'),
).href

/** Whether a process with this pid still runs (a zombie, dead but not yet reaped by init, does not). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return !/\) Z /.test(stat)
  } catch {
    return false
  }
}

async function waitUntil(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (check()) return true
    await new Promise((r) => setTimeout(r, 100))
  }
  return check()
}

describe.runIf(process.platform === 'linux')('startAnvil', () => {
  it('does not outlive an owner that is SIGKILLed (no exit handler runs)', async () => {
    // The owner starts a chain, reports anvil's pid (its only child) and then waits to be killed.
    const script = `
      const { startAnvil } = await import(${JSON.stringify(anvilModule)})
      const { readFileSync } = await import('node:fs')
      await startAnvil({ chainId: 31337 })
      const children = readFileSync('/proc/' + process.pid + '/task/' + process.pid + '/children', 'utf8')
      console.log('anvil ' + children.trim().split(/\\s+/)[0])
      setInterval(() => {}, 1000)
    `
    const owner = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    try {
      const anvilPid = await new Promise<number>((resolve, reject) => {
        let out = ''
        owner.stdout.on('data', (d: Buffer) => {
          out += d.toString()
          const m = /anvil (\d+)/.exec(out)
          if (m) resolve(Number(m[1]))
        })
        owner.once('exit', (code) => reject(new Error(`owner exited with ${code} before reporting: ${out}`)))
      })
      expect(alive(anvilPid)).toBe(true)
      owner.kill('SIGKILL')
      expect(await waitUntil(() => !alive(anvilPid), 10_000)).toBe(true)
    } finally {
      owner.kill('SIGKILL')
    }
  }, 60_000)
})
