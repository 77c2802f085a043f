import { request } from 'node:http'
import { SLICE_UPLOAD_PATH, type SliceRecord, sliceUploadHeaders, uploadSlice } from '@stratos-edge/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeFile, type TestFile } from './helpers.js'
import { caught } from './support/caught.js'
import { createNodePool } from './support/node-pool.js'

/** An upload that sends one byte every `everyMs` from `localAddress` (another client on loopback). */
function trickle(
  gatewayUrl: string,
  slice: SliceRecord,
  localAddress: string,
  everyMs: number,
): { status: Promise<{ status: number; body: string }>; stop(): void } {
  const req = request(`${gatewayUrl}${SLICE_UPLOAD_PATH}`, {
    method: 'POST',
    localAddress,
    headers: { ...sliceUploadHeaders(slice), 'content-length': String(slice.data.length) },
  })
  let sent = 0
  const timer = setInterval(() => {
    // Bounded: never more than the body, and stopped by the answer or the test.
    if (sent >= slice.data.length - 1) return clearInterval(timer)
    req.write(slice.data.subarray(sent, sent + 1))
    sent++
  }, everyMs)
  const status = new Promise<{ status: number; body: string }>((resolve) => {
    req.on('response', (res) => {
      clearInterval(timer)
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d) => {
        body += d
      })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
      res.on('error', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', () => {
      clearInterval(timer)
      resolve({ status: 0, body: '' })
    })
  })
  req.flushHeaders()
  return {
    status,
    stop() {
      clearInterval(timer)
      req.destroy()
    },
  }
}

describe('hostile uploads', () => {
  let file: TestFile
  const pool = createNodePool('hostile')
  const stops: Array<() => void> = []

  const startNode = pool.start

  beforeAll(async () => {
    file = await makeFile(8 * 1024 * 1024, 1024 * 1024)
  })

  afterAll(async () => {
    for (const stop of stops) stop()
    await pool.close()
  })

  it("one client's trickling uploads hold only its share of the upload memory; others go ahead", async () => {
    const node = await startNode({ maxUploadBufferBytes: 4 * 1024 * 1024, streamTimeoutMs: 2000 })
    const slices = file.slices as SliceRecord[]
    // Six uploads of 1 MiB, one byte every 300 ms each, from one address: without shares they would
    // hold the whole 4 MiB budget (and the idle timeout never fires: a byte comes in time).
    for (const s of slices.slice(0, 6)) stops.push(trickle(node.gatewayUrl, s, '127.0.0.2', 300).stop)
    await new Promise((r) => setTimeout(r, 500))
    const good = slices[7] as SliceRecord
    expect((await uploadSlice(node.gatewayUrl, good, { timeout: 5000 })).stored).toBe('new')
  })

  it('an upload that waits for memory longer than the timeout is refused with 503 UploadBusyError', async () => {
    const node = await startNode({
      maxUploadBufferBytes: 1024 * 1024 + 65536,
      maxUploadBufferBytesPerClient: 1024 * 1024 + 65536,
      streamTimeoutMs: 1000,
      minUploadBytesPerSecond: 1, // the hog's 5 bytes a second keep it: it holds the memory throughout
    })
    const [held, waiting] = file.slices as [SliceRecord, SliceRecord]
    const hog = trickle(node.gatewayUrl, held, '127.0.0.2', 200)
    stops.push(hog.stop)
    await new Promise((r) => setTimeout(r, 300))
    const started = Date.now()
    const err = await caught(uploadSlice(node.gatewayUrl, waiting, { timeout: 8000 }))
    expect(err.name).toBe('UploadBusyError')
    expect(Date.now() - started).toBeLessThan(6000)
    expect(await node.store.has(waiting.hash)).toBe(false)
  })

  it('a body slower than the minimum rate is dropped with 408, though bytes keep coming', async () => {
    const node = await startNode({ streamTimeoutMs: 1000, minUploadBytesPerSecond: 1024 * 1024 })
    const slice = file.slices[2] as SliceRecord
    // 1 MiB at 1 MiB/s after a 1 s grace: dropped about 2 s in (a byte every 100 ms never looks idle).
    const slow = trickle(node.gatewayUrl, slice, '127.0.0.2', 100)
    stops.push(slow.stop)
    const answer = await Promise.race([
      slow.status,
      new Promise<{ status: number; body: string }>((r) =>
        setTimeout(() => r({ status: -1, body: 'still open' }), 8000),
      ),
    ])
    expect(answer.status).toBe(408)
    expect(JSON.parse(answer.body).error.name).toBe('ProtocolTimeoutError')
  })

  it('a trickle far behind the minimum rate is dropped within seconds, not when its whole body is due', async () => {
    const node = await startNode({ streamTimeoutMs: 1000, minUploadBytesPerSecond: 64 * 1024 })
    const slice = file.slices[3] as SliceRecord
    // 1 MiB at 64 KiB/s after a 1 s grace was due at 17 s; 10 bytes a second are far behind by 2 s.
    const slow = trickle(node.gatewayUrl, slice, '127.0.0.3', 100)
    stops.push(slow.stop)
    const started = Date.now()
    const answer = await Promise.race([
      slow.status,
      new Promise<{ status: number; body: string }>((r) =>
        setTimeout(() => r({ status: -1, body: 'still open' }), 6000),
      ),
    ])
    expect(answer.status).toBe(408)
    expect(JSON.parse(answer.body).error.name).toBe('ProtocolTimeoutError')
    expect(Date.now() - started).toBeLessThan(6000)
  })
})
