/**
 * PlacedUpload against real resource nodes over HTTP (`POST /v1/slices`): the first placed node takes
 * every slice and forwards it to the rest; when it fails mid-upload the next placed node takes over and
 * `finish` resends it what it has not acknowledged itself.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Libp2p } from '@libp2p/interface'
import { type FileHash, MIN_SLICE_SIZE, type SliceHash, sliceFile } from '@stratos-edge/core'
import { httpUrlToMultiaddr } from '@stratos-edge/protocol'
import { createLogger, createResourceNode, type ResourceNode } from '@stratos-edge/resource-node'
import { afterEach, describe, expect, it } from 'vitest'
import type { ProviderInfo } from '../src/node/network-index.js'
import { PlacedUpload } from '../src/node/upload/placed-upload.js'
import type { OutgoingSlice } from '../src/node/upload/slice-uploader.js'

const quietLogger = createLogger({ level: 'error' })

/** Every node an HTTP endpoint is placed on is reached over HTTP: touching libp2p fails the test. */
const noLibp2p = new Proxy(
  {},
  {
    get(_, prop) {
      throw new Error(`PlacedUpload used libp2p (${String(prop)}) although every target has an HTTP endpoint`)
    },
  },
) as unknown as Libp2p

const started: ResourceNode[] = []
const cleanups: Array<() => Promise<void>> = []

afterEach(async () => {
  for (const n of started.splice(0)) await n.stop().catch(() => {})
  for (const c of cleanups.splice(0)) await c()
})

async function startNode(
  name: string,
  options: { meta?: boolean; bootstrap?: string[] } = {},
): Promise<ResourceNode> {
  const dir = await mkdtemp(join(tmpdir(), `stratos-placed-${name}-`))
  cleanups.push(() => rm(dir, { recursive: true, force: true }))
  const node = await createResourceNode(
    { dataDir: dir, tcpPort: 0, wsPort: 0, httpPort: 0, ...options },
    { logger: quietLogger },
  )
  started.push(node)
  await node.start()
  return node
}

async function stopNode(node: ResourceNode): Promise<void> {
  started.splice(started.indexOf(node), 1)
  await node.stop()
}

function providerOf(node: ResourceNode): ProviderInfo {
  return {
    peerId: node.peerId.toString(),
    kind: 'resource',
    multiaddrs: [httpUrlToMultiaddr(node.gatewayUrl), ...node.readyInfo().multiaddrs],
  }
}

interface TestSlice {
  hash: SliceHash
  fileHash: FileHash
  number: number
  data: Uint8Array
}

/** A random file of `count` minimum-size slices (the last one shorter). */
async function makeSlices(count: number): Promise<TestSlice[]> {
  const bytes = new Uint8Array(count * MIN_SLICE_SIZE - 1000)
  for (let o = 0; o < bytes.length; o += 65536) {
    crypto.getRandomValues(bytes.subarray(o, Math.min(bytes.length, o + 65536)))
  }
  const sliced = await sliceFile(bytes, { sliceSize: MIN_SLICE_SIZE })
  expect(sliced.slices).toHaveLength(count)
  return sliced.slices.map((s) => ({
    hash: s.hash,
    fileHash: sliced.fileHash,
    number: s.number,
    data: bytes.slice(s.offset, s.offset + s.size),
  }))
}

/** The slice as the browser sends it first: a Blob (a slice of the File). */
const asBlob = (s: TestSlice): OutgoingSlice => ({ ...s, data: new Blob([s.data as BlobPart]) })

/** Finishes `upload`, reading slices back from memory (as a copy); returns the result and what was read. */
async function finishRecordingReads(upload: PlacedUpload, slices: readonly TestSlice[]) {
  const reads: number[] = []
  const result = await upload.finish(
    slices.map((s) => s.number),
    async (n) => {
      reads.push(n)
      const s = slices[n - 1] as TestSlice
      return { ...s, data: s.data.slice() }
    },
  )
  return { result, reads }
}

async function holdsAll(node: ResourceNode, slices: readonly TestSlice[]): Promise<boolean> {
  return (await Promise.all(slices.map((s) => node.store.has(s.hash)))).every(Boolean)
}

async function until(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 50))
  }
}

async function sameStoredBytes(node: ResourceNode, slices: readonly TestSlice[]): Promise<boolean> {
  for (const s of slices) {
    const held = await node.store.get(s.hash)
    if (!held || Buffer.compare(Buffer.from(held.data), Buffer.from(s.data)) !== 0) return false
  }
  return true
}

describe('PlacedUpload over HTTP to real resource nodes', () => {
  it('sends every slice to the first placed node, which forwards each to the second', async () => {
    // A node forwards only to nodes the meta service lists: the first runs it, the second announces to it.
    const first = await startNode('a', { meta: true })
    const second = await startNode('b', { bootstrap: [first.readyInfo().multiaddrs[0] as string] })
    await until(async () => first.metaService?.stats().resource === 2)
    const slices = await makeSlices(10)
    const upload = new PlacedUpload(
      noLibp2p,
      [providerOf(first), providerOf(second)],
      new AbortController().signal,
    )
    for (const s of slices) await upload.send(asBlob(s))
    const { result, reads } = await finishRecordingReads(upload, slices)

    expect(result.error).toBeUndefined()
    expect(result.replicas).toEqual([first.peerId.toString()])
    expect(result.forwardedTo).toEqual([second.peerId.toString()])
    expect(reads).toEqual([]) // nothing to resend when nothing failed
    expect(await sameStoredBytes(first, slices)).toBe(true)
    // The browser sent each slice once; the second copy came from the first node.
    await first.replicationIdle()
    await until(() => holdsAll(second, slices))
    expect(await sameStoredBytes(second, slices)).toBe(true)
  })

  it('fails over to the second node when the first stops mid-upload, and resends it what it lacks', async () => {
    const [first, second] = [await startNode('a'), await startNode('b')]
    const slices = await makeSlices(10)
    const placed = [providerOf(first), providerOf(second)]
    const upload = new PlacedUpload(noLibp2p, placed, new AbortController().signal)

    await upload.send(asBlob(slices[0] as TestSlice))
    await upload.send(asBlob(slices[1] as TestSlice))
    // Both reached the first node before it goes away.
    await until(() => holdsAll(first, slices.slice(0, 2)))
    await stopNode(first)
    for (const s of slices.slice(2)) await upload.send(asBlob(s))
    const { result, reads } = await finishRecordingReads(upload, slices)

    expect(result.error).toBeDefined()
    expect((result.error as Error).name).toBe('HttpUploadError')
    expect(result.replicas).toEqual([second.peerId.toString()])
    expect(result.forwardedTo).toEqual([]) // no node after the second
    // Slices 1 and 2 went to the first node only, so the second was sent them from the reader.
    expect(reads).toEqual(expect.arrayContaining([1, 2]))
    expect(new Set(reads).size).toBe(reads.length)
    expect(await holdsAll(second, slices)).toBe(true)
    expect(await sameStoredBytes(second, slices)).toBe(true)
  })

  it('reports no replica and an error when every placed node is down', async () => {
    const [a, b] = [await startNode('a'), await startNode('b')]
    const placed = [providerOf(a), providerOf(b)]
    await stopNode(a)
    await stopNode(b)
    const slices = await makeSlices(6)
    const upload = new PlacedUpload(noLibp2p, placed, new AbortController().signal)
    for (const s of slices) await upload.send(asBlob(s))
    const { result, reads } = await finishRecordingReads(upload, slices)

    expect(result.replicas).toEqual([])
    expect(result.forwardedTo).toEqual([])
    expect((result.error as Error | undefined)?.name).toBe('HttpUploadError')
    expect(reads).toEqual([]) // no node left to resend to
  })
})
