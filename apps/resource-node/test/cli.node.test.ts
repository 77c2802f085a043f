import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { sliceUploadHeaders } from '@stratos-edge/protocol'
import { afterAll, describe, expect, it } from 'vitest'
import { loadOrCreateMetaKey, openDiskSliceStore, spawnResourceNode } from '../src/index.js'
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

  it('turns upload tickets on with --network, and refuses ticket options without it', async () => {
    const t = await tempDir('cli-tickets')
    cleanups.push(t.cleanup)
    const node = await spawnResourceNode({
      args: [
        'start',
        '--meta',
        '--data-dir',
        t.dir,
        '--tcp-port',
        '0',
        '--ws-port',
        '0',
        '--http-port',
        '0',
      ].concat(['--network', '31337', '--free-ozone', '1m', '--log-level', 'error']),
    })
    try {
      expect(node.ready.ticketIssuer).toBe((await loadOrCreateMetaKey(t.dir)).evmAddress)
      // Tickets are on: a write without one is refused.
      const res = await fetch(`${node.ready.gatewayUrl}/v1/slices`, {
        method: 'POST',
        headers: sliceUploadHeaders({
          hash: 'v05ahm574f56qmejcvudt1uo4vru3pskpk4usen0',
          fileHash: 'v05j1m52c3o7rd6if0b6u23dcoaajjs77tlmkdco',
          number: 1,
        }),
        body: 'x',
      })
      expect(res.status).toBe(402)
    } finally {
      await node.stop()
    }
    const refused = await runNode(['start', '--data-dir', t.dir, '--free-ozone', '1m'])
    expect(refused.code).not.toBe(0)
  })
})
