import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { openDiskSliceStore } from '../src/index.js'
import { runNode } from './cli-process.js'
import { makeFile, quietLogger, tempDir } from './helpers.js'

describe('stratos-edge-node CLI', () => {
  const cleanups: Array<() => Promise<void>> = []
  afterAll(async () => {
    for (const c of cleanups) await c()
  })

  it('prints usage for --help (exit 0) and for an unknown command (exit 2)', async () => {
    const help = await runNode(['--help'])
    expect(help.code).toBe(0)
    expect(help.stdout).toContain('stratos-edge-node <command>')
    expect((await runNode(['frobnicate'])).code).toBe(2)
  })

  it('verify reports and removes corrupt slices (exit 1), then is clean (exit 0)', async () => {
    const t = await tempDir('cli-verify')
    cleanups.push(t.cleanup)
    const store = await openDiskSliceStore({ dir: join(t.dir, 'store'), logger: quietLogger })
    const file = await makeFile(90_000, 30_000)
    for (const s of file.slices) await store.put(s)
    const victim = file.slices[1]!
    const path = join(t.dir, 'store', 'slices', victim.hash.slice(-2), `${victim.hash}.slice`)
    const raw = await readFile(path)
    raw[raw.length - 3] = (raw[raw.length - 3] as number) ^ 0x01
    await writeFile(path, raw)
    const first = await runNode(['verify', '--data-dir', t.dir, '--log-level', 'error'])
    expect(first.code).toBe(1)
    expect(JSON.parse(first.stdout)).toEqual({ event: 'verified', ok: 2, corrupt: [victim.hash] })
    const second = await runNode(['verify', '--data-dir', t.dir, '--log-level', 'error'])
    expect(second.code).toBe(0)
    expect(JSON.parse(second.stdout)).toMatchObject({ ok: 2, corrupt: [] })
  })
})
