/**
 * SliceStager against a real resource node: slices of a Blob are staged (sent before their hashes are
 * known), a commit with the hashes stores them, and a node out of staging room stops staging without
 * losing anything (the caller sends the rest the normal way).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MIN_SLICE_SIZE, type SliceHash, sliceFile } from '@stratos-edge/core'
import { commitStagedUpload } from '@stratos-edge/protocol'
import { createLogger, createResourceNode, type ResourceNode } from '@stratos-edge/resource-node'
import { afterEach, describe, expect, it } from 'vitest'
import { SliceStager } from '../src/node/upload/slice-stager.js'

const started: ResourceNode[] = []
const cleanups: Array<() => Promise<void>> = []

afterEach(async () => {
  for (const n of started.splice(0)) await n.stop().catch(() => {})
  for (const c of cleanups.splice(0)) await c()
})

async function startNode(maxStagedBytes?: number): Promise<ResourceNode> {
  const dir = await mkdtemp(join(tmpdir(), 'stratos-stager-'))
  cleanups.push(() => rm(dir, { recursive: true, force: true }))
  const node = await createResourceNode(
    { dataDir: dir, tcpPort: 0, wsPort: 0, httpPort: 0, ...(maxStagedBytes ? { maxStagedBytes } : {}) },
    { logger: createLogger({ level: 'error' }) },
  )
  started.push(node)
  await node.start()
  return node
}

async function file(slices: number) {
  const bytes = new Uint8Array(slices * MIN_SLICE_SIZE - 100).map((_, i) => (i * 13 + 5) & 0xff)
  return { bytes, sliced: await sliceFile(bytes, { sliceSize: MIN_SLICE_SIZE }) }
}

describe('SliceStager', () => {
  it('stages slices in order up to its byte limit; a commit with their hashes stores them', async () => {
    const node = await startNode()
    const { bytes, sliced } = await file(6)
    const stager = new SliceStager(
      node.gatewayUrl,
      new Blob([bytes]),
      MIN_SLICE_SIZE,
      new AbortController().signal,
      4 * MIN_SLICE_SIZE,
    )
    // Let it run to its limit (a real upload stops it when the file hash is known).
    await new Promise((r) => setTimeout(r, 500))
    const staged = await stager.stop()
    expect(staged?.peerId).toBe(node.peerId.toString())
    expect(staged?.numbers).toEqual([1, 2, 3, 4])
    expect(node.store.sliceCount).toBe(0)
    const result = await commitStagedUpload(node.gatewayUrl, stager.uploadId, {
      fileHash: sliced.fileHash,
      slices: sliced.slices.map((s) => ({ number: s.number, hash: s.hash })),
      forward: [],
    })
    expect(result.stored).toEqual([1, 2, 3, 4])
    expect(result.rejected).toEqual([5, 6])
    for (const s of sliced.slices.slice(0, 4)) expect(await node.store.has(s.hash)).toBe(true)
  })

  it('hands off with slices still on their way, and commits them once they land', async () => {
    const node = await startNode()
    const { bytes, sliced } = await file(6)
    // Nothing is staged before the ticket: hand off right after it arrives, while the first four are sent.
    let giveTicket: (hex: string | undefined) => void = () => {}
    const ticket = new Promise<string | undefined>((resolve) => {
      giveTicket = resolve
    })
    const stager = new SliceStager(
      node.gatewayUrl,
      new Blob([bytes]),
      MIN_SLICE_SIZE,
      new AbortController().signal,
      undefined,
      ticket,
    )
    await new Promise((r) => setTimeout(r, 100))
    expect(stager.homePeerId).toBeUndefined()
    giveTicket(undefined)
    await new Promise((r) => setImmediate(r))
    expect(stager.homePeerId).toBeUndefined() // no answer yet: the four are on their way
    expect(stager.handOff()).toEqual([1, 2, 3, 4])
    const hashOf = (n: number) => sliced.slices[n - 1]?.hash as SliceHash
    expect(await stager.commit(sliced.fileHash, hashOf, [])).toEqual([1, 2, 3, 4])
    expect(stager.homePeerId).toBe(node.peerId.toString())
    for (const s of sliced.slices) expect(await node.store.has(s.hash)).toBe(s.number <= 4)
  })

  it('stops staging when the node is out of staging room, and reports only what it holds', async () => {
    const node = await startNode(2 * MIN_SLICE_SIZE)
    const { bytes } = await file(8)
    const stager = new SliceStager(
      node.gatewayUrl,
      new Blob([bytes]),
      MIN_SLICE_SIZE,
      new AbortController().signal,
    )
    await new Promise((r) => setTimeout(r, 500))
    const staged = await stager.stop()
    expect(staged?.numbers.length ?? 0).toBeLessThanOrEqual(2)
    expect(staged?.numbers.length ?? 0).toBeGreaterThanOrEqual(1)
  })

  it('reports nothing staged when the home node is unreachable', async () => {
    const node = await startNode()
    const url = node.gatewayUrl
    await node.stop()
    started.splice(0)
    const { bytes } = await file(2)
    const stager = new SliceStager(url, new Blob([bytes]), MIN_SLICE_SIZE, new AbortController().signal)
    expect(await stager.stop()).toBeUndefined()
  })
})
