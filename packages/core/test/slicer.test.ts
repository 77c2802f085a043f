import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  CODEC_VIDEO,
  computeFileHash,
  computeSliceHash,
  createFileHashCheck,
  hashFile,
  MIN_SLICE_SIZE,
  type SlicePiece,
  sliceFile,
  slicePieces,
} from '../src/index.js'
import { referenceFileHash, referenceSliceHash } from './reference-sds.js'

function pseudoRandomBytes(length: number, seed: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(length)
  let x = seed >>> 0 || 1
  for (let i = 0; i < length; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    out[i] = x & 0xff
  }
  return out
}

function* chunked(data: Uint8Array, sizes: number[]): Generator<Uint8Array> {
  let at = 0
  let i = 0
  while (at < data.length) {
    const n = Math.max(1, sizes[i++ % sizes.length] as number)
    yield data.subarray(at, at + n)
    at += n
  }
}

describe('slicer', () => {
  it('multi-slice file hash and slice hashes equal the independent stratos-sdk/sds reference', async () => {
    const data = pseudoRandomBytes(10 * 1024 * 1024 + 12345, 7)
    const sliceSize = 4 * 1024 * 1024
    const pieces: SlicePiece[] = []
    const sliced = await sliceFile(new Blob([data]), { sliceSize, onSlice: (p) => void pieces.push(p) })
    expect(sliced.fileHash).toBe(referenceFileHash(data))
    expect(sliced.size).toBe(data.length)
    expect(sliced.slices).toHaveLength(3)
    for (const s of sliced.slices) {
      const bytes = data.subarray(s.offset, s.offset + s.size)
      expect(s.hash).toBe(referenceSliceHash(s.number, bytes, referenceFileHash(data)))
      expect(Buffer.from(pieces[s.number - 1]?.data ?? []).equals(bytes)).toBe(true)
    }
    expect(sliced.slices.map((s) => s.size)).toEqual([sliceSize, sliceSize, data.length - 2 * sliceSize])
  })

  it('any chunking of any input gives the same ids as hashing in memory', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 3 * MIN_SLICE_SIZE + 100 }),
        fc.array(fc.integer({ min: 1, max: 40_000 }), { minLength: 1, maxLength: 5 }),
        fc.integer(),
        async (length, sizes, seed) => {
          const data = pseudoRandomBytes(length, seed)
          const sliced = await sliceFile(chunked(data, sizes), { sliceSize: MIN_SLICE_SIZE })
          expect(sliced.fileHash).toBe(computeFileHash(data))
          for (const s of sliced.slices) {
            expect(s.hash).toBe(
              computeSliceHash(s.number, data.subarray(s.offset, s.offset + s.size), sliced.fileHash),
            )
          }
          expect((await hashFile(chunked(data, sizes))).fileHash).toBe(sliced.fileHash)
        },
      ),
      { numRuns: 40 },
    )
  })

  it('reads Blobs, ReadableStreams, async iterables and byte arrays alike', async () => {
    const data = pseudoRandomBytes(100_000, 3)
    const expected = computeFileHash(data)
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(data.subarray(0, 1000))
        c.enqueue(data.subarray(1000))
        c.close()
      },
    })
    async function* gen() {
      yield data
    }
    for (const input of [new Blob([data]), stream, gen(), data]) {
      expect((await sliceFile(input, { sliceSize: MIN_SLICE_SIZE })).fileHash).toBe(expected)
    }
  })

  it('reads a Blob of several read chunks (read ahead) to the same hashes as its bytes', async () => {
    const data = pseudoRandomBytes(9 * 1024 * 1024 + 5, 11)
    const fromBytes = await sliceFile(data)
    const fromBlob = await sliceFile(new Blob([data]))
    expect(fromBlob.fileHash).toBe(fromBytes.fileHash)
    expect(fromBlob.slices.map((s) => s.hash)).toEqual(fromBytes.slices.map((s) => s.hash))
    expect((await hashFile(new Blob([data]))).size).toBe(data.length)
  })

  it('hashFile hands each chunk on after hashing it, and waits for the callback', async () => {
    const data = pseudoRandomBytes(9 * 1024 * 1024 + 5, 12)
    const seen: number[] = []
    let pending = 0
    const { fileHash, size } = await hashFile(new Blob([data]), {
      onChunk: async (chunk) => {
        expect(pending).toBe(0) // the next chunk is not handed on before this call finishes
        pending++
        seen.push(chunk.length)
        await new Promise((r) => setTimeout(r, 5))
        chunk.fill(0) // the caller may take the chunk over: the hash is already computed
        pending--
      },
    })
    expect(seen.reduce((a, b) => a + b, 0)).toBe(data.length)
    expect(seen.length).toBeGreaterThan(1)
    expect(size).toBe(data.length)
    expect(fileHash).toBe((await hashFile(data)).fileHash)
  })

  it('an empty file is one empty slice, as SDS uploads it', async () => {
    const sliced = await sliceFile(new Uint8Array())
    expect(sliced.slices).toHaveLength(1)
    expect(sliced.slices[0]?.size).toBe(0)
    expect(sliced.fileHash).toBe('v05j1m555fu587j6jih6c1k0uheu1g2o8stakpm0')
  })

  it('waits for the consumer before reading on (backpressure)', async () => {
    const data = pseudoRandomBytes(5 * MIN_SLICE_SIZE, 9)
    let pulled = 0
    async function* source() {
      for (let i = 0; i < data.length; i += 1024) {
        pulled += 1024
        yield data.subarray(i, i + 1024)
      }
    }
    const gen = slicePieces(source(), { sliceSize: MIN_SLICE_SIZE })
    await gen.next()
    // One slice was produced: the source was read no further than that slice.
    expect(pulled).toBe(MIN_SLICE_SIZE)
    await gen.return(undefined as never)
  })

  it('rejects a bad slice size and non-byte chunks with typed errors', async () => {
    await expect(sliceFile(new Uint8Array(1), { sliceSize: 10 })).rejects.toHaveProperty(
      'name',
      'InvalidArgumentError',
    )
    await expect(sliceFile(['nope' as unknown as Uint8Array])).rejects.toHaveProperty('name', 'SlicingError')
    await expect(sliceFile(42 as unknown as Uint8Array)).rejects.toHaveProperty('name', 'SlicingError')
  })

  it('stops with AbortedError when aborted', async () => {
    const controller = new AbortController()
    controller.abort()
    await expect(sliceFile(new Uint8Array(10), { signal: controller.signal })).rejects.toHaveProperty(
      'name',
      'AbortedError',
    )
  })
})

describe('slicer input checks', () => {
  it('a bad codec fails before any slice is handed out', async () => {
    let handed = 0
    await expect(
      sliceFile(pseudoRandomBytes(3 * MIN_SLICE_SIZE, 1), {
        sliceSize: MIN_SLICE_SIZE,
        codec: 0x55,
        onSlice: () => {
          handed++
        },
      }),
    ).rejects.toHaveProperty('name', 'InvalidFileHashError')
    expect(handed).toBe(0)
  })

  it('stops mid-stream when aborted and cancels the source stream', async () => {
    const controller = new AbortController()
    let cancelled = false
    let pulls = 0
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        pulls++
        c.enqueue(new Uint8Array(4096))
        if (pulls === 3) controller.abort()
      },
      cancel() {
        cancelled = true
      },
    })
    await expect(
      sliceFile(stream, { signal: controller.signal, sliceSize: MIN_SLICE_SIZE }),
    ).rejects.toHaveProperty('name', 'AbortedError')
    expect(cancelled).toBe(true)
    expect(pulls).toBeLessThan(10)
  })

  it('hashFile rejects chunks that are not bytes', async () => {
    await expect(hashFile(['text' as unknown as Uint8Array])).rejects.toHaveProperty('name', 'SlicingError')
  })
})

describe('hashSlice (WASM)', () => {
  it('equals computeSliceHash, also when called concurrently', async () => {
    const { hashSlice } = await import('../src/index.js')
    const fileHash = computeFileHash(new Uint8Array([1, 2, 3]))
    const slices = [1, 2, 3, 4].map((n) => pseudoRandomBytes(50_000 + n, n))
    const fast = await Promise.all(slices.map((s, i) => hashSlice(i + 1, s, fileHash)))
    expect(fast).toEqual(slices.map((s, i) => computeSliceHash(i + 1, s, fileHash)))
  })

  it('createSliceHasher fed in pieces equals the one-shot hash', async () => {
    const { createSliceHasher } = await import('../src/index.js')
    const fileHash = computeFileHash(new Uint8Array([4]))
    const data = pseudoRandomBytes(70_000, 5)
    const hasher = await createSliceHasher(3, fileHash)
    for (let at = 0; at < data.length; at += 9_999) hasher.update(data.subarray(at, at + 9_999))
    expect(hasher.finish()).toBe(computeSliceHash(3, data, fileHash))
  })
})

describe('createFileHashCheck', () => {
  it('accepts the bytes of the file hash, fed in any chunking, for either codec', async () => {
    const bytes = pseudoRandomBytes(100_003, 7)
    for (const codec of [undefined, CODEC_VIDEO]) {
      const check = await createFileHashCheck(computeFileHash(bytes, codec ? { codec } : {}))
      check.update(bytes.subarray(0, 4097))
      check.update(bytes.subarray(4097))
      expect(() => check.check()).not.toThrow()
    }
    const empty = await createFileHashCheck(computeFileHash(new Uint8Array()))
    expect(() => empty.check()).not.toThrow()
  })

  it('throws FileVerificationError for other bytes, a missing byte, or another codec', async () => {
    const bytes = pseudoRandomBytes(10_000, 8)
    const expected = computeFileHash(bytes)
    const flipped = bytes.slice()
    flipped[5000] = (flipped[5000] as number) ^ 1
    for (const fed of [flipped, bytes.subarray(1)]) {
      const check = await createFileHashCheck(expected)
      check.update(fed)
      expect(() => check.check()).toThrow(expect.objectContaining({ name: 'FileVerificationError' }))
    }
    const video = await createFileHashCheck(computeFileHash(bytes, { codec: CODEC_VIDEO }))
    video.update(flipped)
    expect(() => video.check()).toThrow(expect.objectContaining({ name: 'FileVerificationError' }))
  })
})
