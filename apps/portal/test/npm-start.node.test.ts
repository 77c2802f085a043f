// `npm start`'s life cycle: --help, a taken port, the data-directory lock, a signal that stops every
// child and keeps the chains' state, and a parent that dies without passing any signal on.
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..')
const START = join(root, 'scripts/start.mjs')
const dirs: string[] = []
/** Every process a test saw: killed after the tests if a failing test left any behind. */
const seen = new Set<number>()

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'stratos-edge-npm-start-'))
  dirs.push(dir)
  return dir
}

afterAll(() => {
  for (const pid of seen) if (alive(pid)) process.kill(pid, 'SIGKILL')
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

/** Every live descendant of `pid`, from /proc. */
function descendants(pid: number): number[] {
  const parentOf = new Map<number, number>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      if (fields[0] !== 'Z') parentOf.set(Number(entry), Number(fields[1]))
    } catch {
      // exited meanwhile
    }
  }
  const found: number[] = []
  const walk = (p: number) => {
    for (const [child, parent] of parentOf) {
      if (parent === p) {
        found.push(child)
        walk(child)
      }
    }
  }
  walk(pid)
  for (const p of found) seen.add(p)
  return found
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z'
  } catch {
    return false
  }
}

interface Run {
  child: ChildProcess
  stdout: string[]
  stderr: string[]
  exited: Promise<number | null>
}

function run(command: string, args: string[], dataDir: string, detached = false): Run {
  const child = spawn(command, args, {
    cwd: root,
    env: { ...process.env, STRATOS_EDGE_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached,
  })
  const out: Run = {
    child,
    stdout: [],
    stderr: [],
    exited: new Promise((r) => child.once('exit', (c) => r(c))),
  }
  child.stdout!.on('data', (d) => out.stdout.push(...String(d).split('\n').filter(Boolean)))
  child.stderr!.on('data', (d) => out.stderr.push(...String(d).split('\n').filter(Boolean)))
  return out
}

async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

const up = (r: Run) => r.stdout.some((l) => l.startsWith('Press Ctrl-C'))

describe('npm start', () => {
  it('--help lists every port with its flag and default', async () => {
    const r = run(process.execPath, [START, '--help'], tempDir())
    expect(await r.exited).toBe(0)
    const text = r.stdout.join('\n')
    for (const flag of [
      '--portal-port',
      '--ethereum-port',
      '--polygon-port',
      '--node1-ws-port',
      '--node2-http-port',
    ])
      expect(text).toContain(flag)
    expect(text).toContain('5173')
  })

  it('a taken port stops the start with one line naming it, before anything starts', async () => {
    const server: Server = createServer()
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
    const port = (server.address() as { port: number }).port
    try {
      const dataDir = tempDir()
      const r = run(process.execPath, [START, '--ephemeral-ports', '--portal-port', String(port)], dataDir)
      expect(await r.exited).toBe(1)
      expect(r.stderr).toHaveLength(1)
      expect(r.stderr[0]).toContain(`port ${port}`)
      expect(r.stderr[0]).toContain('--portal-port')
      expect(existsSync(join(dataDir, 'start.lock'))).toBe(false)
    } finally {
      server.close()
    }
  })

  it('locks the data directory, stops every child on SIGHUP, keeps the chain state', async () => {
    const dataDir = tempDir()
    const first = run(process.execPath, [START, '--ephemeral-ports'], dataDir)
    await until(() => up(first) || first.child.exitCode !== null, 150_000, 'npm start to come up')
    expect(up(first)).toBe(true)
    const children = descendants(first.child.pid!)
    expect(children.length).toBeGreaterThanOrEqual(4) // two anvils, two resource nodes

    const second = run(process.execPath, [START, '--ephemeral-ports'], dataDir)
    expect(await second.exited).toBe(1)
    expect(second.stderr).toHaveLength(1)
    expect(second.stderr[0]).toContain(`the data directory ${dataDir} is in use`)

    first.child.kill('SIGHUP')
    expect(await first.exited).toBe(0)
    expect(first.stdout.at(-1)).toBe('stratos-edge: stopped')
    expect(children.filter(alive)).toEqual([])
    expect(statSync(join(dataDir, 'chains/ethereum-state.json')).size).toBeGreaterThan(1000)
    expect(statSync(join(dataDir, 'chains/polygon-state.json')).size).toBeGreaterThan(1000)
    expect(existsSync(join(dataDir, 'start.lock'))).toBe(false)
  }, 200_000)

  it('stops everything when its parent dies without passing a signal on (npm killed)', async () => {
    const dataDir = tempDir()
    // A shell stands for npm: it is SIGKILLed, so it forwards nothing.
    const shell = run('/bin/sh', ['-c', `"${process.execPath}" "${START}" --ephemeral-ports & wait`], dataDir)
    await until(() => up(shell), 150_000, 'npm start to come up')
    const all = descendants(shell.child.pid!)
    expect(all.length).toBeGreaterThanOrEqual(5) // start.mjs, two anvils, two resource nodes
    // Its output pipes close too (a closed terminal): writing "stopping…" must not crash the shutdown.
    shell.child.stdout!.destroy()
    shell.child.stderr!.destroy()
    shell.child.kill('SIGKILL')
    await until(() => all.every((pid) => !alive(pid)), 30_000, 'every process to end')
    expect(existsSync(join(dataDir, 'start.lock'))).toBe(false)
  }, 200_000)

  it('Ctrl-C (SIGINT to the whole process group, as a terminal sends it) stops everything', async () => {
    const dataDir = tempDir()
    const r = run(process.execPath, [START, '--ephemeral-ports'], dataDir, true)
    await until(() => up(r), 150_000, 'npm start to come up')
    const children = descendants(r.child.pid!)
    process.kill(-r.child.pid!, 'SIGINT')
    expect(await r.exited).toBe(0)
    expect(r.stdout.at(-1)).toBe('stratos-edge: stopped')
    await until(() => children.every((pid) => !alive(pid)), 15_000, 'every process to end')
    expect(statSync(join(dataDir, 'chains/ethereum-state.json')).size).toBeGreaterThan(1000)
  }, 200_000)

  // Through npm itself (its script execs start.mjs, so npm's forwarded SIGTERM reaches it).
  it.skipIf(!process.env.npm_execpath)(
    'SIGTERM to npm start stops everything',
    async () => {
      const dataDir = tempDir()
      const npm = process.env.npm_execpath!
      const r = run(process.execPath, [npm, 'start', '--', '--ephemeral-ports'], dataDir)
      await until(() => up(r), 200_000, 'npm start to come up')
      const all = descendants(r.child.pid!)
      expect(all.length).toBeGreaterThanOrEqual(5)
      r.child.kill('SIGTERM')
      await r.exited
      await until(() => all.every((pid) => !alive(pid)), 30_000, 'every process to end')
      expect(r.stdout.at(-1)).toBe('stratos-edge: stopped')
    },
    260_000,
  )
})
