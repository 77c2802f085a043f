/**
 * Resume: an upload cancelled part way, then the same file chosen again on a node opened afresh over the
 * same IndexedDB (a reload), sends only the slices the resource node does not hold, counted at the node
 * (`stratos_edge_upload_body_bytes_total`: every body byte that reached its upload route), and says so in
 * its progress. Real resource node (meta service, HTTP uploads), real store on fake-indexeddb.
 */
import { sliceFile } from '@stratos-edge/core'
import type { ResourceNode } from '@stratos-edge/resource-node'
import { IDBFactory } from 'fake-indexeddb'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PutProgress } from '../src/api-types.js'
import { createResumeJournal } from '../src/node/upload/resume-journal.js'
import { type MetaResourceNode, startMetaResourceNode } from './support/meta-resource-node.js'
import { startNetworkedService } from './support/networked-service.js'

const SLICE = 64 * 1024
const SLICES = 16

describe('resuming an upload', () => {
  let node: ResourceNode
  let started: MetaResourceNode
  const indexedDB = new IDBFactory()

  beforeAll(async () => {
    started = await startMetaResourceNode('stratos-resume-')
    node = started.node
  })

  afterAll(async () => {
    await started?.close()
  })

  /** A light node over the database `name` (a second one over the same name is the page reloaded). */
  const open = (name: string) =>
    startNetworkedService(node, started.client, {
      name,
      indexedDB,
      options: { replicas: 1, sliceSize: SLICE, gatewayUrl: node.gatewayUrl },
    })

  const bodyBytes = async (): Promise<number> => {
    const text = await (await fetch(`${node.gatewayUrl}/metrics`)).text()
    return Number(/^stratos_edge_upload_body_bytes_total (\d+)$/m.exec(text)?.[1] ?? Number.NaN)
  }

  it('after a cancel and a reload, the same file sends only the slices the node lacks', async () => {
    const bytes = new Uint8Array(SLICES * SLICE - 999)
    for (let o = 0; o < bytes.length; o += 65536) crypto.getRandomValues(bytes.subarray(o, o + 65536))
    const chosen = () =>
      new File([bytes], 'clip.webm', { type: 'video/webm', lastModified: 1_700_000_000_000 })
    const hashes = (await sliceFile(bytes, { sliceSize: SLICE })).slices.map((s) => s.hash)

    // First attempt: cancelled once half the file has gone through.
    const first = await open('resume')
    const cancelled = await first.service
      .put(chosen(), { name: 'clip.webm' }, 'first', (p) => {
        if (p.phase === 'storing' && p.bytes >= (SLICES / 2) * SLICE) void first.service.abort('first')
      })
      .then(
        () => undefined,
        (err: unknown) => err as Error,
      )
    expect(cancelled?.name).toBe('AbortedError')
    expect(await createResumeJournal({ settings: first.store }).interrupted(chosen())).toMatchObject({
      uploadId: expect.stringMatching(/^[0-9a-f]{32}$/),
    })
    await first.store.close()
    const heldBefore = (await Promise.all(hashes.map((h) => node.store.has(h)))).filter(Boolean).length
    expect(heldBefore).toBeGreaterThan(0)
    expect(heldBefore).toBeLessThan(SLICES)
    expect(await node.store.has(hashes[SLICES - 1] as (typeof hashes)[number])).toBe(false)

    // The page reloaded: a new node over the same store, the same file chosen again.
    const second = await open('resume')
    expect(await createResumeJournal({ settings: second.store }).interrupted(chosen())).toBeDefined()
    const sentBefore = await bodyBytes()
    const seen: PutProgress[] = []
    const result = await second.service.put(chosen(), { name: 'clip.webm' }, 'second', (p) => {
      seen.push(p)
    })
    const sent = (await bodyBytes()) - sentBefore
    expect(result.replicas).toEqual([node.peerId.toString()])
    for (const h of hashes) expect(await node.store.has(h)).toBe(true)
    // Held: what the node stored, and what the first attempt staged that the node still held (committed
    // now). The last, short slice was not reached: every held slice is whole.
    const last = seen.at(-1) as PutProgress
    const heldSlices = last.heldSlices ?? 0
    expect(heldSlices).toBeGreaterThanOrEqual(heldBefore)
    expect(heldSlices).toBeLessThan(SLICES)
    expect(last).toMatchObject({
      phase: 'done',
      slices: SLICES,
      heldBytes: heldSlices * SLICE,
      sentBytes: bytes.length - heldSlices * SLICE,
    })
    expect(sent).toBe(bytes.length - heldSlices * SLICE)
    await second.store.close()

    // Finished: the file is no longer an unfinished upload (its next upload is staged as usual).
    const third = await open('resume')
    expect(await createResumeJournal({ settings: third.store }).interrupted(chosen())).toBeUndefined()
    await third.store.close()
  })
})
