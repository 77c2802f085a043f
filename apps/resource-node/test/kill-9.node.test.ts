import { once } from 'node:events'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { Libp2p } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import type { SliceHash } from '@stratos-edge/core'
import { fetchSlice, openSlicePush } from '@stratos-edge/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawnResourceNode } from '../src/index.js'
import { metaStartArgs, runNode } from './cli-process.js'
import { createClient, makeFile, sameBytes, tempDir } from './helpers.js'

describe('kill -9 of the CLI during an upload', () => {
  let client: Libp2p
  let cleanup: () => Promise<void>
  let dataDir: string

  beforeAll(async () => {
    const t = await tempDir('kill9')
    dataDir = t.dir
    cleanup = t.cleanup
    client = await createClient()
  })

  afterAll(async () => {
    await client?.stop()
    await cleanup?.()
  })

  it('loses nothing it acknowledged; after restart every stored slice verifies and no debris is served', async () => {
    const args = metaStartArgs(dataDir)
    const first = await spawnResourceNode({ args })
    const file = await makeFile(48 * 1024 * 1024, 1024 * 1024)
    const acked = new Set<SliceHash>()
    const session = await openSlicePush(client, multiaddr(first.ready.wsMultiaddrs[0]!), { window: 8 })
    const killed = once(first.child, 'exit')
    let killedAt = -1
    const pushes = file.slices.map((s) =>
      session.push(s).then(
        () => {
          acked.add(s.hash)
          if (acked.size === 12 && killedAt < 0) {
            killedAt = acked.size
            first.child.kill('SIGKILL') // mid-upload: later slices are on the wire or being written
          }
        },
        () => {},
      ),
    )
    await Promise.all(pushes)
    await killed
    expect(killedAt).toBe(12)
    expect(acked.size).toBeGreaterThanOrEqual(12)
    expect(acked.size).toBeLessThan(file.slices.length) // the upload really was interrupted

    const second = await spawnResourceNode({ args })
    try {
      expect(second.ready.peerId).toBe(first.ready.peerId)
      expect(await readdir(join(dataDir, 'store', 'tmp'))).toEqual([])
      const target = multiaddr(second.ready.multiaddrs[0]!)
      for (const hash of acked) {
        const s = file.slices.find((x) => x.hash === hash)!
        const got = await fetchSlice(client, target, hash)
        expect(sameBytes(got.data, s.data)).toBe(true)
      }
      const health = (await (await fetch(`${second.ready.gatewayUrl}/healthz`)).json()) as { slices: number }
      expect(health.slices).toBeGreaterThanOrEqual(acked.size)
    } finally {
      second.child.kill('SIGTERM')
      await once(second.child, 'exit')
    }
    // every slice file on disk verifies
    const verify = await runNode(['verify', '--data-dir', dataDir])
    expect(verify.code).toBe(0)
    const report = JSON.parse(verify.stdout) as { ok: number; corrupt: string[] }
    expect(report.corrupt).toEqual([])
    expect(report.ok).toBeGreaterThanOrEqual(acked.size)
  })
})
