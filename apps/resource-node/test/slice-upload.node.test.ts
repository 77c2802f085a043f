// Over 400 lines: every HTTP upload path and its refusals against one real resource node.
import { readdir, stat } from 'node:fs/promises'
import { request } from 'node:http'
import { join } from 'node:path'
import type { Libp2p } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import { MAX_SLICE_SIZE } from '@stratos-edge/core'
import {
  commitStagedUpload,
  createIndexClient,
  fetchHeldSlices,
  findHttpUrl,
  HELD_SLICES_PATH,
  newUploadId,
  SLICE_UPLOAD_PATH,
  type SliceRecord,
  sliceUploadHeaders,
  stageSlice,
  uploadSlice,
} from '@stratos-edge/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createResourceNode, openDiskSliceStore, type ResourceNode } from '../src/index.js'
import { createClient, makeFile, quietLogger, sameBytes, type TestFile, tempDir, until } from './helpers.js'
import { caught } from './support/caught.js'

/** The staged slices' temp files a node's store holds. */
async function stagedFiles(node: ResourceNode): Promise<string[]> {
  return (await readdir(join(node.store.dir, 'tmp'))).filter((n) => n.endsWith('.staged'))
}

/** A raw request whose declared Content-Length the body need not match (fetch would not allow it). */
function rawUpload(
  url: string,
  headers: Record<string, string>,
  body: Uint8Array | undefined,
  options: { endEarly?: boolean } = {},
): Promise<{ status: number; body: string; connection: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${SLICE_UPLOAD_PATH}`, { method: 'POST', headers }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (d) => {
        text += d
      })
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: text, connection: res.headers.connection }),
      )
    })
    const gaveUp = { status: 0, body: '', connection: undefined }
    req.on('error', (err) => (options.endEarly ? resolve(gaveUp) : reject(err)))
    if (body) req.write(body)
    if (options.endEarly) {
      setTimeout(() => req.destroy(), 100)
      setTimeout(() => resolve(gaveUp), 300)
    } else req.end()
  })
}

describe('HTTP slice upload (POST /v1/slices)', () => {
  let meta: ResourceNode
  let storage: ResourceNode
  let small: ResourceNode
  let tight: ResourceNode
  let client: Libp2p
  let file: TestFile
  const cleanups: Array<() => Promise<void>> = []

  beforeAll(async () => {
    const dirs = await Promise.all([
      tempDir('up-meta'),
      tempDir('up-storage'),
      tempDir('up-small'),
      tempDir('up-tight'),
    ])
    cleanups.push(...dirs.map((d) => d.cleanup))
    meta = await createResourceNode(
      { dataDir: dirs[0].dir, meta: true, tcpPort: 0, wsPort: 0, httpPort: 0 },
      { logger: quietLogger },
    )
    await meta.start()
    const bootstrap = [meta.readyInfo().multiaddrs[0] as string]
    storage = await createResourceNode(
      { dataDir: dirs[1].dir, tcpPort: 0, wsPort: 0, httpPort: 0, bootstrap },
      { logger: quietLogger },
    )
    await storage.start()
    small = await createResourceNode(
      { dataDir: dirs[2].dir, tcpPort: 0, wsPort: 0, httpPort: 0, maxBytes: 1024 * 1024 },
      { logger: quietLogger },
    )
    await small.start()
    tight = await createResourceNode(
      { dataDir: dirs[3].dir, tcpPort: 0, wsPort: 0, httpPort: 0, maxStagedBytes: 512 * 1024 },
      { logger: quietLogger },
    )
    await tight.start()
    client = await createClient()
    file = await makeFile(3 * 1024 * 1024 + 777, 1024 * 1024)
    await until(() => meta.metaService?.stats().resource === 2)
  })

  afterAll(async () => {
    await client?.stop()
    for (const n of [tight, small, storage, meta]) await n?.stop()
    for (const c of cleanups) await c()
  })

  it('stores a verified slice durably before answering 201, and 200 "existing" the second time', async () => {
    const slice = file.slices[0]!
    const receipt = await uploadSlice(meta.gatewayUrl, slice)
    expect(receipt).toEqual({ hash: slice.hash, stored: 'new', peerId: meta.peerId.toString() })
    const held = await meta.store.get(slice.hash)
    expect(held && sameBytes(held.data, slice.data)).toBe(true)
    expect((await uploadSlice(meta.gatewayUrl, slice)).stored).toBe('existing')
  })

  it("says which of a file's slices it holds (what a resumed upload need not send)", async () => {
    const other = await makeFile(3 * 64 * 1024, 64 * 1024)
    const [a, b, c] = other.slices as [SliceRecord, SliceRecord, SliceRecord]
    const bodyBytes = async () =>
      Number(
        /^stratos_edge_upload_body_bytes_total (\d+)$/m.exec(
          await (await fetch(`${meta.gatewayUrl}/metrics`)).text(),
        )?.[1] ?? 0,
      )
    const before = await bodyBytes()
    expect(await fetchHeldSlices(meta.gatewayUrl, [a.hash, b.hash, c.hash])).toEqual({
      held: [],
      peerId: meta.peerId.toString(),
    })
    await uploadSlice(meta.gatewayUrl, a)
    await uploadSlice(meta.gatewayUrl, c)
    await uploadSlice(meta.gatewayUrl, c) // held already: drained, but the bytes were sent all the same
    expect((await fetchHeldSlices(meta.gatewayUrl, [a.hash, b.hash, c.hash])).held).toEqual([a.hash, c.hash])
    expect(await bodyBytes()).toBe(before + 3 * 64 * 1024)
    const bad = await fetch(`${meta.gatewayUrl}${HELD_SLICES_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ hashes: ['not a slice hash'] }),
    })
    expect(bad.status).toBe(400)
    expect(((await bad.json()) as { error: { name: string } }).error.name).toBe('DecodeError')
  })

  it('copies the slice on to the forward targets (one upload from the browser, r=2)', async () => {
    const slice = file.slices[1]!
    const target = { peerId: storage.peerId.toString(), multiaddrs: storage.readyInfo().multiaddrs }
    await uploadSlice(meta.gatewayUrl, slice, { forward: [target] })
    await until(async () => storage.store.has(slice.hash))
    const copy = await storage.store.get(slice.hash)
    expect(copy && sameBytes(copy.data, slice.data)).toBe(true)
  })

  it('announces its HTTP endpoint to the meta service, so clients learn where to upload', async () => {
    const slice = file.slices[2]!
    await uploadSlice(storage.gatewayUrl, slice)
    const index = createIndexClient(client, multiaddr(meta.readyInfo().wsMultiaddrs[0] as string))
    await until(async () => ((await index.lookup([slice.hash])).get(slice.hash) ?? []).length > 0)
    const [provider] = (await index.lookup([slice.hash])).get(slice.hash) ?? []
    expect(provider?.peerId).toBe(storage.peerId.toString())
    expect(findHttpUrl(provider?.multiaddrs ?? [])).toBe(storage.gatewayUrl)
    // The meta node's own record carries its endpoint too.
    const placed = await index.place({ fileHash: slice.fileHash, size: 1, replicas: 2 })
    const urls = placed.map((p) => findHttpUrl(p.multiaddrs)).sort()
    expect(urls).toEqual([meta.gatewayUrl, storage.gatewayUrl].sort())
  })

  it('rejects bytes that do not match the slice hash with 422 SliceHashMismatchError; nothing is stored', async () => {
    const slice = file.slices[3]!
    const bad = slice.data.slice()
    bad[100] = (bad[100] as number) ^ 0xff
    const err = await caught(uploadSlice(meta.gatewayUrl, { ...slice, data: bad }))
    expect(err.name).toBe('SliceHashMismatchError')
    expect(await meta.store.has(slice.hash)).toBe(false)
    // The node keeps serving: the right bytes are accepted straight after.
    expect((await uploadSlice(meta.gatewayUrl, slice)).stored).toBe('new')
  })

  it('answers malformed headers with 400 DecodeError and an oversize length with 413, reading no body', async () => {
    const slice = file.slices[0]!
    const headers = sliceUploadHeaders(slice)
    const noHash = { ...headers }
    delete noHash['x-stratos-slice']
    const r1 = await rawUpload(meta.gatewayUrl, { ...noHash, 'content-length': '4' }, new Uint8Array(4))
    expect(r1.status).toBe(400)
    expect(JSON.parse(r1.body).error.name).toBe('DecodeError')

    const r2 = await rawUpload(
      meta.gatewayUrl,
      { ...headers, 'content-length': String(MAX_SLICE_SIZE + 1) },
      undefined,
    )
    expect(r2.status).toBe(413)
    expect(r2.connection).toBe('close')

    const r3 = await rawUpload(
      meta.gatewayUrl,
      { ...headers, 'x-stratos-forward': '[{"peerId": 7}]', 'content-length': '4' },
      new Uint8Array(4),
    )
    expect(r3.status).toBe(400)

    // A length too long to have 12 digits is still too large, not missing: 413, for staged slices too.
    const r4 = await rawUpload(meta.gatewayUrl, { ...headers, 'content-length': '9'.repeat(13) }, undefined)
    expect(r4.status).toBe(413)
    expect(JSON.parse(r4.body).error.name).toBe('InvalidArgumentError')
    const staged = { 'x-stratos-upload': 'ab'.repeat(16), 'x-stratos-slice-number': '1' }
    const r5 = await rawUpload(meta.gatewayUrl, { ...staged, 'content-length': '1'.repeat(20) }, undefined)
    expect(r5.status).toBe(413)
  })

  it('reports a full disk budget with 507 StoreFullError before any byte is written', async () => {
    const big = file.slices[0]! // 1 MiB, over the small node's budget with its header
    const onDisk = async () => {
      const slices = await readdir(join(small.store.dir, 'slices'), { recursive: true, withFileTypes: true })
      return [
        ...slices.filter((e) => e.isFile()).map((e) => e.name),
        ...(await readdir(join(small.store.dir, 'tmp'))),
      ]
    }
    expect(await onDisk()).toEqual([])
    const err = await caught(uploadSlice(small.gatewayUrl, big))
    expect(err.name).toBe('StoreFullError')
    // No slice file, and no temp file from a write begun and abandoned (nor one left behind).
    expect(await onDisk()).toEqual([])
    expect(await small.store.has(big.hash)).toBe(false)
    expect(small.store.usedBytes).toBe(0)
  })

  it('drops a body cut short by the client without storing anything, and goes on serving', async () => {
    const slice = file.slices[2]!
    const fresh = meta
    expect(await fresh.store.has(slice.hash)).toBe(false)
    await rawUpload(
      fresh.gatewayUrl,
      { ...sliceUploadHeaders(slice), 'content-length': String(slice.data.length) },
      slice.data.subarray(0, 1000),
      { endEarly: true },
    )
    expect(await fresh.store.has(slice.hash)).toBe(false)
    expect((await uploadSlice(fresh.gatewayUrl, slice)).stored).toBe('new')
  })

  it('answers the CORS preflight with the upload headers allowed', async () => {
    const res = await fetch(`${meta.gatewayUrl}${SLICE_UPLOAD_PATH}`, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://127.0.0.1:5173',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type, x-stratos-slice',
      },
    })
    expect(res.status).toBe(204)
    expect(res.headers.get('access-control-allow-methods')).toContain('POST')
    const allowed = res.headers.get('access-control-allow-headers') ?? ''
    for (const h of ['x-stratos-slice', 'x-stratos-file', 'x-stratos-slice-number', 'x-stratos-forward'])
      expect(allowed).toContain(h)
  })

  describe('staged (slices sent before their hashes are known, then committed)', () => {
    it('stores every staged slice the commit names with its right hash, and forwards them', async () => {
      const staged = await makeFile(2 * 1024 * 1024 + 99, 1024 * 1024)
      const id = newUploadId()
      for (const s of staged.slices) {
        const { peerId } = await stageSlice(meta.gatewayUrl, { uploadId: id, number: s.number, data: s.data })
        expect(peerId).toBe(meta.peerId.toString())
      }
      // Nothing staged is stored or served before the commit; the bytes are being written ahead.
      expect(await meta.store.has(staged.slices[0]!.hash)).toBe(false)
      await until(async () => (await stagedFiles(meta)).length === 3)
      const inodes = async (paths: string[]) => Promise.all(paths.map(async (p) => (await stat(p)).ino))
      const stagedInodes = await inodes((await stagedFiles(meta)).map((n) => join(meta.store.dir, 'tmp', n)))
      const target = { peerId: storage.peerId.toString(), multiaddrs: storage.readyInfo().multiaddrs }
      const result = await commitStagedUpload(meta.gatewayUrl, id, {
        fileHash: staged.manifest.fileHash,
        slices: staged.slices.map((s) => ({ number: s.number, hash: s.hash })),
        forward: [target],
      })
      expect(result).toEqual({ stored: [1, 2, 3], rejected: [], peerId: meta.peerId.toString() })
      // The commit adopted the written-ahead files (renamed into place, not written again).
      expect(await stagedFiles(meta)).toEqual([])
      const sliceInodes = await inodes(
        staged.slices.map((s) => join(meta.store.dir, 'slices', s.hash.slice(-2), `${s.hash}.slice`)),
      )
      expect(sliceInodes.sort()).toEqual(stagedInodes.sort())
      for (const s of staged.slices) {
        const held = await meta.store.get(s.hash)
        expect(held && sameBytes(held.data, s.data)).toBe(true)
        await until(async () => storage.store.has(s.hash))
      }
    })

    it('rejects a slice whose bytes do not give the claimed hash, and one never staged; stores neither', async () => {
      const staged = await makeFile(2 * 1024 * 1024 + 5, 1024 * 1024)
      const id = newUploadId()
      const [one, two, three] = staged.slices as [SliceRecord, SliceRecord, SliceRecord]
      const bad = two.data.slice()
      bad[0] = (bad[0] as number) ^ 1
      await stageSlice(meta.gatewayUrl, { uploadId: id, number: 1, data: one.data })
      await stageSlice(meta.gatewayUrl, { uploadId: id, number: 2, data: bad })
      const result = await commitStagedUpload(meta.gatewayUrl, id, {
        fileHash: staged.manifest.fileHash,
        slices: [one, two, three].map((s) => ({ number: s.number, hash: s.hash })),
        forward: [],
      })
      expect(result.stored).toEqual([1])
      expect(result.rejected).toEqual([2, 3])
      expect(await meta.store.has(two.hash)).toBe(false)
      expect(await meta.store.has(three.hash)).toBe(false)
      // The rejected slice's written-ahead file is removed too.
      await until(async () => (await stagedFiles(meta)).length === 0)
      // A commit takes the staged slices: committing again stores nothing.
      const again = await commitStagedUpload(meta.gatewayUrl, id, {
        fileHash: staged.manifest.fileHash,
        slices: [{ number: 1, hash: one.hash }],
        forward: [],
      })
      expect(again.rejected).toEqual([1])
    })

    it('a committed staged upload survives a restart; staged slices left uncommitted do not', async () => {
      const dir = await tempDir('up-restart')
      cleanups.push(dir.cleanup)
      const init = { dataDir: dir.dir, tcpPort: 0, wsPort: 0, httpPort: 0 }
      const node = await createResourceNode(init, { logger: quietLogger })
      await node.start()
      const kept = await makeFile(2 * 1024 * 1024 + 1, 1024 * 1024)
      const left = await makeFile(1024 * 1024, 1024 * 1024)
      const id = newUploadId()
      try {
        for (const s of kept.slices)
          await stageSlice(node.gatewayUrl, { uploadId: id, number: s.number, data: s.data })
        await stageSlice(node.gatewayUrl, { uploadId: newUploadId(), number: 1, data: left.slices[0]!.data })
        const result = await commitStagedUpload(node.gatewayUrl, id, {
          fileHash: kept.manifest.fileHash,
          slices: kept.slices.map((s) => ({ number: s.number, hash: s.hash })),
          forward: [],
        })
        expect(result.stored).toEqual([1, 2, 3])
      } finally {
        await node.stop()
      }
      // Stopping removed the uncommitted slice's file.
      expect(await readdir(join(node.store.dir, 'tmp'))).toEqual([])
      const store = await openDiskSliceStore({ dir: node.store.dir, logger: quietLogger })
      expect(store.sliceCount).toBe(3)
      expect((await store.verifyAll()).ok).toBe(3)
      for (const s of kept.slices) {
        const held = await store.get(s.hash)
        expect(held && sameBytes(held.data, s.data)).toBe(true)
      }
      await store.close()
    })

    it('answers StagingFullError (503) past the staging budget, before reading the body', async () => {
      const err = await caught(
        stageSlice(tight.gatewayUrl, { uploadId: newUploadId(), number: 1, data: file.slices[0]!.data }),
      )
      expect(err.name).toBe('StagingFullError')
    })

    it('stages and commits the single empty slice of an empty file; refuses any other empty or far slice', async () => {
      const emptyFile = await makeFile(0, 1024 * 1024)
      const [only] = emptyFile.slices as [SliceRecord]
      const id = newUploadId()
      await stageSlice(meta.gatewayUrl, { uploadId: id, number: 1, data: only.data })
      const result = await commitStagedUpload(meta.gatewayUrl, id, {
        fileHash: emptyFile.manifest.fileHash,
        slices: [{ number: 1, hash: only.hash }],
        forward: [],
      })
      expect(result.stored).toEqual([1])
      expect(await meta.store.has(only.hash)).toBe(true)
      const stagedHeaders = (number: number, length: number) => ({
        'x-stratos-upload': newUploadId(),
        'x-stratos-slice-number': String(number),
        'content-length': String(length),
      })
      const emptySecond = await rawUpload(meta.gatewayUrl, stagedHeaders(2, 0), undefined)
      expect(emptySecond.status).toBe(400)
      expect(JSON.parse(emptySecond.body).error.name).toBe('DecodeError')
      const far = await rawUpload(meta.gatewayUrl, stagedHeaders(1e9, 4), new Uint8Array(4))
      expect(far.status).toBe(400)
      expect(JSON.parse(far.body).error.name).toBe('DecodeError')
    })

    it('refuses a commit that lists a slice twice, and a slice staged after its commit', async () => {
      const id = newUploadId()
      const [one] = file.slices as [SliceRecord]
      await stageSlice(meta.gatewayUrl, { uploadId: id, number: 1, data: one.data })
      const twice = await caught(
        commitStagedUpload(meta.gatewayUrl, id, {
          fileHash: one.fileHash,
          slices: [
            { number: 1, hash: one.hash },
            { number: 1, hash: one.hash },
          ],
          forward: [],
        }),
      )
      expect(twice.name).toBe('DecodeError')
      await commitStagedUpload(meta.gatewayUrl, id, {
        fileHash: one.fileHash,
        slices: [{ number: 1, hash: one.hash }],
        forward: [],
      })
      const late = await caught(stageSlice(meta.gatewayUrl, { uploadId: id, number: 2, data: one.data }))
      expect(late.name).toBe('DecodeError')
    })

    it('refuses a malformed commit with 400 DecodeError', async () => {
      const res = await fetch(`${meta.gatewayUrl}/v1/uploads/${newUploadId()}/commit`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ fileHash: 'nope', slices: [] }),
      })
      expect(res.status).toBe(400)
      expect((await res.json()).error.name).toBe('DecodeError')
    })
  })

  it('a client that gives up while waiting for the memory budget frees its place (later uploads go on)', async () => {
    const dir = await tempDir('up-budget')
    cleanups.push(dir.cleanup)
    const node = await createResourceNode(
      { dataDir: dir.dir, tcpPort: 0, wsPort: 0, httpPort: 0, maxUploadBufferBytes: 1536 * 1024 },
      { logger: quietLogger },
    )
    await node.start()
    try {
      const [one, two, three] = file.slices as [SliceRecord, SliceRecord, SliceRecord]
      const url = new URL(`${node.gatewayUrl}${SLICE_UPLOAD_PATH}`)
      // A holds the budget: its body arrives slowly.
      const a = request(url, {
        method: 'POST',
        headers: { ...sliceUploadHeaders(one), 'content-length': String(one.data.length) },
      })
      const aDone = new Promise<number>((resolve, reject) => {
        a.on('response', (res) => {
          res.resume()
          resolve(res.statusCode ?? 0)
        })
        a.on('error', reject)
      })
      a.write(one.data.subarray(0, 1000))
      await new Promise((r) => setTimeout(r, 200))
      // B waits for the budget behind A, then gives up.
      const b = request(url, {
        method: 'POST',
        headers: { ...sliceUploadHeaders(two), 'content-length': String(two.data.length) },
      })
      b.on('error', () => {})
      b.write(two.data.subarray(0, 1000))
      await new Promise((r) => setTimeout(r, 200))
      b.destroy()
      await new Promise((r) => setTimeout(r, 200))
      a.end(one.data.subarray(1000))
      expect(await aDone).toBe(201)
      // C is admitted and stored (it hung forever when B's place was never given back).
      expect((await uploadSlice(node.gatewayUrl, three, { timeout: 10_000 })).stored).toBe('new')
      expect(await node.store.has(two.hash)).toBe(false)
    } finally {
      await node.stop()
    }
  })

  it('refuses a node configured with a public URL that is not a base URL, at creation', async () => {
    const dir = await tempDir('up-url')
    cleanups.push(dir.cleanup)
    await expect(
      createResourceNode(
        { dataDir: dir.dir, publicGatewayUrl: 'https://node.example/some/path' },
        { logger: quietLogger },
      ),
    ).rejects.toMatchObject({ name: 'InvalidArgumentError' })
  })

  it('counts uploads in the metrics', async () => {
    const text = await (await fetch(`${meta.gatewayUrl}/metrics`)).text()
    expect(text).toMatch(/status="201"/)
    expect(text).toMatch(/status="422"/)
  })
})
