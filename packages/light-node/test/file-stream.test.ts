import { expose, wrap } from 'comlink'
import { afterEach, describe, expect, it } from 'vitest'
import { type FileReadSource, openFileStream } from '../src/client/file-stream.js'
import { FileReadCursor } from '../src/node/file-read-cursor.js'

const MiB = 1024 * 1024

function pattern(size: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(size)
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + seed) & 0xff
  return bytes
}

/**
 * The worker side over a real MessageChannel with comlink, so buffers really move between the two ends.
 * The download is a list of chunks (the slice download is not under test here); `failAt` rejects there.
 */
function workerSide(chunks: Uint8Array[], failAt?: number) {
  const channel = new MessageChannel()
  const cursors = new Map<string, FileReadCursor>()
  const aborted: string[] = []
  const service: FileReadSource = {
    async openRead(_ref, opId) {
      let i = 0
      cursors.set(
        opId,
        new FileReadCursor(async () => {
          if (i === failAt) throw new Error('provider gone')
          return chunks[i++]
        }),
      )
    },
    async readChunk(opId) {
      return cursors.get(opId)?.chunk()
    },
    async readInto(opId, buffer, offset, length) {
      return (cursors.get(opId) as FileReadCursor).fill(buffer, offset, length)
    },
    async abort(opId) {
      aborted.push(opId)
      cursors.delete(opId)
    },
  }
  expose(service, channel.port2)
  const remote = wrap<FileReadSource>(channel.port1) as unknown as FileReadSource
  const close = () => {
    channel.port1.close()
    channel.port2.close()
  }
  return { remote, aborted, close }
}

let close: (() => void) | undefined
afterEach(() => close?.())

describe('file streams between the page and the worker', () => {
  const chunks = [pattern(4 * MiB, 1), pattern(4 * MiB, 2), pattern(MiB + 17, 3)]
  const whole = new Uint8Array(Buffer.concat(chunks))

  it('fills one reused BYOB buffer with the whole file, across chunk boundaries', async () => {
    const side = workerSide(chunks)
    close = side.close
    const reader = openFileStream(side.remote, 'f', 'op-1').getReader({ mode: 'byob' })
    let buffer = new ArrayBuffer(3 * MiB)
    const got: number[] = []
    const out = new Uint8Array(whole.byteLength)
    let at = 0
    for (;;) {
      const { done, value } = await reader.read(new Uint8Array(buffer))
      if (done) break
      expect(value.buffer.byteLength).toBe(3 * MiB) // the same memory came back, not a new buffer
      out.set(value, at)
      at += value.byteLength
      got.push(value.byteLength)
      buffer = value.buffer as ArrayBuffer
    }
    expect(at).toBe(whole.byteLength)
    expect(Buffer.from(out).equals(Buffer.from(whole))).toBe(true)
    // 3 MiB reads of 4 MiB chunks: whole reads, then the chunk's tail, never two chunks in one read.
    expect(got).toEqual([3 * MiB, MiB, 3 * MiB, MiB, MiB + 17])
  })

  it('gives a default reader each chunk in a buffer of its own', async () => {
    const side = workerSide(chunks)
    close = side.close
    const bytes = new Uint8Array(await new Response(openFileStream(side.remote, 'f', 'op-1')).arrayBuffer())
    expect(Buffer.from(bytes).equals(Buffer.from(whole))).toBe(true)
  })

  it('copies chunks before transfer, so the source stays intact', async () => {
    const source = pattern(1000, 9)
    const cursor = new FileReadCursor(async () => source)
    const copy = (await cursor.chunk()) as Uint8Array
    copy.fill(0)
    expect(source[1]).toBe(pattern(1000, 9)[1])
  })

  it('passes a worker-side failure to the reader and ends the stream', async () => {
    const side = workerSide(chunks, 1)
    close = side.close
    const reader = openFileStream(side.remote, 'f', 'op-1').getReader({ mode: 'byob' })
    const first = await reader.read(new Uint8Array(4 * MiB))
    expect(first.value?.byteLength).toBe(4 * MiB)
    await expect(reader.read(new Uint8Array(4 * MiB))).rejects.toThrow('provider gone')
  })

  it('aborts the worker-side read on cancel and on the caller’s signal', async () => {
    const side = workerSide(chunks)
    close = side.close
    const reader = openFileStream(side.remote, 'f', 'op-1').getReader()
    await reader.read()
    await reader.cancel()
    expect(side.aborted).toEqual(['op-1'])

    const controller = new AbortController()
    const stream = openFileStream(side.remote, 'f', 'op-2', controller.signal)
    await stream.getReader().read()
    controller.abort()
    await new Promise((r) => setTimeout(r, 20))
    expect(side.aborted).toEqual(['op-1', 'op-2'])
  })
})
