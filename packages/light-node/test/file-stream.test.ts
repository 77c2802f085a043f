import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { isErrorNamed } from '@stratos-edge/core'
import { expose, wrap } from 'comlink'
import { afterEach, describe, expect, it } from 'vitest'
import { type FileReadSource, openFileStream } from '../src/client/file-stream.js'
import { FileReadCursor, FileReads, type ReadableDownload } from '../src/node/file-reads.js'

const MiB = 1024 * 1024

function pattern(size: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(size)
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + seed) & 0xff
  return bytes
}

/** A download of fixed chunks; `failAt` rejects there, `holdAt` waits there until `release()` or cancel. */
function fakeDownload(chunks: Uint8Array[], opts: { failAt?: number; holdAt?: number } = {}) {
  let i = 0
  let cancelled = false
  let release: () => void = () => {}
  const held = new Promise<void>((resolve) => {
    release = resolve
  })
  let wake: (() => void) | undefined
  const download: ReadableDownload = {
    async next() {
      if (i === opts.failAt) throw new Error('provider gone')
      if (i === opts.holdAt) {
        await Promise.race([held, new Promise<void>((resolve) => (wake = resolve))])
        if (cancelled) throw new Error('cancelled')
      }
      return chunks[i++]
    },
    cancel() {
      cancelled = true
      wake?.()
    },
  }
  return { download, release, isCancelled: () => cancelled }
}

/**
 * The worker side over a real MessageChannel with comlink, so buffers really move between the two ends:
 * the node's real read registry (FileReads), with a fixed list of chunks standing in for the slice
 * download (not under test here).
 */
function workerSide(make: () => ReturnType<typeof fakeDownload>) {
  const channel = new MessageChannel()
  const reads = new FileReads()
  const downloads: ReturnType<typeof fakeDownload>[] = []
  const service: FileReadSource & { stop(): void } = {
    async openRead(_ref, opId) {
      const d = make()
      downloads.push(d)
      reads.add(opId, d.download)
    },
    readChunk: async (opId) => reads.chunk(opId),
    readInto: async (opId, buffer, offset, length) => reads.fill(opId, buffer, offset, length),
    abort: async (opId) => reads.abort(opId),
    stop: () => reads.stop(),
  }
  expose(service, channel.port2)
  const remote = wrap<typeof service>(channel.port1) as unknown as FileReadSource & { stop(): Promise<void> }
  const close = () => {
    channel.port1.close()
    channel.port2.close()
  }
  return { remote, downloads, close }
}

let close: (() => void) | undefined
afterEach(() => close?.())

const chunks = [pattern(4 * MiB, 1), pattern(4 * MiB, 2), pattern(MiB + 17, 3)]
const whole = new Uint8Array(Buffer.concat(chunks))
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b))

function side(opts: { failAt?: number; holdAt?: number } = {}) {
  const s = workerSide(() => fakeDownload(chunks, opts))
  close = s.close
  return s
}

describe('file streams between the page and the worker', () => {
  it('fills one reused BYOB buffer with the whole file, across chunk boundaries', async () => {
    const { remote } = side()
    const reader = openFileStream(remote, 'f', 'op-1').getReader({ mode: 'byob' })
    let buffer = new ArrayBuffer(3 * MiB)
    const got: number[] = []
    const out = new Uint8Array(whole.byteLength)
    let at = 0
    for (;;) {
      const { done, value } = await reader.read(new Uint8Array(buffer))
      if (done) break
      expect(value.buffer.byteLength).toBe(3 * MiB)
      out.set(value, at)
      at += value.byteLength
      got.push(value.byteLength)
      buffer = value.buffer as ArrayBuffer
    }
    expect(at).toBe(whole.byteLength)
    expect(same(out, whole)).toBe(true)
    // 3 MiB reads of 4 MiB chunks: whole reads, then the chunk's tail, never two chunks in one read.
    expect(got).toEqual([3 * MiB, MiB, 3 * MiB, MiB, MiB + 17])
  })

  it('hands back the very buffer it was lent, filled at the view’s offset', async () => {
    const cursor = new FileReadCursor(async () => pattern(100, 4))
    const lent = new ArrayBuffer(64)
    const result = await cursor.fill(lent, 5, 50)
    expect(result.buffer).toBe(lent)
    expect(result.filled).toBe(50)
    expect(same(new Uint8Array(lent, 5, 50), pattern(100, 4).subarray(0, 50))).toBe(true)
    expect(new Uint8Array(lent, 0, 5)).toEqual(new Uint8Array(5))
  })

  it('reads into a view that starts inside its buffer', async () => {
    const { remote } = side()
    const reader = openFileStream(remote, 'f', 'op-1').getReader({ mode: 'byob' })
    const { value } = await reader.read(new Uint8Array(new ArrayBuffer(1000), 5, 100))
    expect(value?.byteOffset).toBe(5)
    expect(same(value as Uint8Array, whole.subarray(0, 100))).toBe(true)
    await reader.cancel()
  })

  it('serves DataView reads, and rejects a file that does not end on a whole Uint32', async () => {
    const { remote } = side()
    const reader = openFileStream(remote, 'f', 'op-1').getReader({ mode: 'byob' })
    const view = await reader.read(new DataView(new ArrayBuffer(8)))
    expect(view.value?.getUint8(3)).toBe(whole[3])
    let words = new Uint32Array(MiB)
    let bytes = 8
    const drain = async () => {
      for (;;) {
        const r = await reader.read(words)
        if (r.done) return
        bytes += r.value.byteLength
        words = new Uint32Array(r.value.buffer)
      }
    }
    // 9 MiB + 17 bytes: the last byte cannot fill a Uint32, which the stream reports at close.
    await expect(drain()).rejects.toThrow(TypeError)
    expect(bytes).toBe(whole.byteLength - 1)
  })

  it('gives a default reader each chunk in a buffer of its own, also after a BYOB reader let go', async () => {
    const { remote } = side()
    const stream = openFileStream(remote, 'f', 'op-1')
    const byob = stream.getReader({ mode: 'byob' })
    const first = await byob.read(new Uint8Array(1000))
    byob.releaseLock()
    const reader = stream.getReader()
    const parts = [first.value as Uint8Array]
    for (let r = await reader.read(); !r.done; r = await reader.read()) parts.push(r.value)
    expect(parts.slice(1).map((p) => p.byteLength)).toEqual([4 * MiB - 1000, 4 * MiB, MiB + 17])
    expect(same(new Uint8Array(Buffer.concat(parts)), whole)).toBe(true)
  })

  it('copies chunks before transfer, so the source stays intact', async () => {
    const source = pattern(1000, 9)
    const copy = (await new FileReadCursor(async () => source).chunk()) as Uint8Array
    copy.fill(0)
    expect(same(source, pattern(1000, 9))).toBe(true)
  })

  it('passes a worker-side failure to either reader', async () => {
    const { remote } = side({ failAt: 1 })
    const byob = openFileStream(remote, 'f', 'op-1').getReader({ mode: 'byob' })
    expect((await byob.read(new Uint8Array(4 * MiB))).value?.byteLength).toBe(4 * MiB)
    await expect(byob.read(new Uint8Array(4 * MiB))).rejects.toThrow('provider gone')
    await expect(new Response(openFileStream(remote, 'f', 'op-2')).arrayBuffer()).rejects.toThrow(
      'provider gone',
    )
  })

  it('cancel drops the worker-side download', async () => {
    const { remote, downloads } = side()
    const reader = openFileStream(remote, 'f', 'op-1').getReader()
    await reader.read()
    await reader.cancel()
    expect(downloads[0]?.isCancelled()).toBe(true)
  })

  it('an abort errors the stream with the signal’s reason, also while a read waits on the worker', async () => {
    const { remote, downloads } = side({ holdAt: 1 })
    const controller = new AbortController()
    const reader = openFileStream(remote, 'f', 'op-1', controller.signal).getReader({ mode: 'byob' })
    await reader.read(new Uint8Array(4 * MiB))
    const waiting = reader.read(new Uint8Array(4 * MiB))
    controller.abort()
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError' })
    await expect.poll(() => downloads[0]?.isCancelled()).toBe(true)

    // Between reads: the next read fails; it never looks like the end of the file.
    const between = new AbortController()
    const second = openFileStream(remote, 'f', 'op-2', between.signal).getReader()
    await second.read()
    between.abort(new Error('user left'))
    await expect(second.read()).rejects.toThrow('user left')
  })

  it('a stream the page drops unread has its download dropped in the worker once it is collected', async () => {
    setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc') as () => void
    const { remote, downloads } = side()
    await (async () => {
      const reader = openFileStream(remote, 'f', 'op-1').getReader()
      await reader.read() // then forgotten, neither read to the end nor cancelled
    })()
    for (let i = 0; i < 50 && !downloads[0]?.isCancelled(); i++) {
      gc()
      await new Promise((r) => setTimeout(r, 20))
    }
    expect(downloads[0]?.isCancelled()).toBe(true)

    // A stream read to its end is unaffected.
    const done = await new Response(openFileStream(remote, 'f', 'op-2')).arrayBuffer()
    expect(done.byteLength).toBe(whole.byteLength)
  })

  it('a read the worker no longer has fails with a typed error, never as an end of file', async () => {
    const { remote } = side()
    await remote.openRead('f', 'op-1')
    await remote.abort('op-1')
    const aborted = await remote.readInto('op-1', new ArrayBuffer(8), 0, 8).catch((e: unknown) => e)
    expect(isErrorNamed(aborted, 'AbortedError')).toBe(true)

    await remote.openRead('f', 'op-2')
    await (remote as unknown as { stop(): Promise<void> }).stop()
    const stopped = await remote.readChunk('op-2').catch((e: unknown) => e)
    expect(isErrorNamed(stopped, 'NodeStoppedError')).toBe(true)
  })
})
