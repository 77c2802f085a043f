import { SLICE_UPLOAD_PATH, type SliceRecord, sliceUploadHeaders, uploadSlice } from '@stratos-edge/protocol'
import { afterAll, describe, expect, it } from 'vitest'
import { createResourceNode, type ResourceNode, type ResourceNodeInit } from '../src/index.js'
import { makeFile, quietLogger, tempDir, until } from './helpers.js'

const SLICE = 1024 * 1024

/**
 * Issue 18's "stranger fills the node": one client, no ticket, uploads slices of its own files as fast as
 * the node lets it for `ms`, never retrying a refusal (a stranger just sends the next one). Returns the
 * answers it got, by status.
 */
async function stranger(node: ResourceNode, ms: number, slices: SliceRecord[]): Promise<Map<number, number>> {
  const statuses = new Map<number, number>()
  const end = Date.now() + ms
  let next = 0
  const worker = async (): Promise<void> => {
    while (Date.now() < end && next < slices.length) {
      const s = slices[next++] as SliceRecord
      const res = await fetch(`${node.gatewayUrl}${SLICE_UPLOAD_PATH}`, {
        method: 'POST',
        headers: sliceUploadHeaders(s),
        body: new Blob([s.data as BlobPart]),
      }).catch(() => undefined)
      await res?.arrayBuffer().catch(() => {})
      const status = res?.status ?? 0
      statuses.set(status, (statuses.get(status) ?? 0) + 1)
    }
  }
  await Promise.all([worker(), worker(), worker(), worker()])
  return statuses
}

describe('a stranger tries to fill a node (issue 18)', () => {
  const nodes: ResourceNode[] = []
  const cleanups: Array<() => Promise<void>> = []
  const startNode = async (init: Partial<ResourceNodeInit>): Promise<ResourceNode> => {
    const dir = await tempDir('stranger')
    cleanups.push(dir.cleanup)
    const node = await createResourceNode(
      { dataDir: dir.dir, meta: true, tcpPort: 0, wsPort: 0, httpPort: 0, ...init },
      { logger: quietLogger },
    )
    nodes.push(node)
    await node.start()
    return node
  }

  afterAll(async () => {
    for (const n of nodes) await n.stop()
    for (const c of cleanups) await c()
  })

  it('with tickets on, a client without tickets stores nothing however long it tries', async () => {
    const node = await startNode({ maxBytes: 64 * SLICE, tickets: { network: 31337 } })
    const file = await makeFile(80 * SLICE, SLICE)
    const statuses = await stranger(node, 3000, file.slices)
    expect(node.store.sliceCount).toBe(0)
    expect([...statuses.keys()]).toEqual([402])
  })

  it('with tickets off (dev mode), the rate limit bounds how fast it fills the node; unpaid, it is evicted after the grace', async () => {
    const rate = SLICE // bytes per second
    const burst = 2 * SLICE
    const node = await startNode({
      maxBytes: 200 * SLICE,
      rateLimits: { write: { bytes: { perSecond: rate, burst } } },
      unpaidGraceMs: 4000,
    })
    const file = await makeFile(120 * SLICE, SLICE)
    const started = Date.now()
    const statuses = await stranger(node, 3000, file.slices)
    const seconds = (Date.now() - started) / 1000
    const stored = node.store.sliceCount * SLICE
    // What the buckets allow in that time, one slice of slack for a request admitted at the edge.
    expect(stored).toBeLessThanOrEqual(burst + rate * seconds + SLICE)
    expect(statuses.get(429) ?? 0).toBeGreaterThan(0)
    console.info(
      `stranger, tickets off: ${stored / SLICE} MiB stored in ${seconds.toFixed(1)} s (limit ${rate / SLICE} MiB/s, burst ${burst / SLICE} MiB); answers ${JSON.stringify(Object.fromEntries(statuses))}`,
    )
    // Its slices never got a manifest: the node recovers without anyone's help.
    await until(() => node.store.sliceCount === 0, 15_000)
    const honest = await makeFile(2 * SLICE, SLICE)
    for (const s of honest.slices) expect((await uploadSlice(node.gatewayUrl, s)).stored).toBe('new')
  }, 30_000)
})
