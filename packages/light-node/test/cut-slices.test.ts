import {
  concatBytes,
  hashFile,
  keccak256,
  MIN_SLICE_SIZE,
  sliceFile,
  sliceNumberPrefix,
} from '@stratos-edge/core'
import { describe, expect, it } from 'vitest'
import { cutSlices } from '../src/node/upload/cut-slices.js'

async function collect(input: Uint8Array | Blob, sliceSize: number) {
  const { fileHash } = await hashFile(input)
  const out = []
  const gen = cutSlices(input, fileHash, { sliceSize })
  for (;;) {
    const step = await gen.next()
    if (step.done) return { fileHash, slices: out, size: step.value }
    out.push(step.value)
  }
}

describe('cutSlices', () => {
  it('finishes slice hashes from digests computed beforehand, without reading the Blob', async () => {
    const bytes = new Uint8Array(3 * MIN_SLICE_SIZE + 5).map((_, i) => (i * 7) & 0xff)
    const expected = await sliceFile(bytes, { sliceSize: MIN_SLICE_SIZE })
    const digests = expected.slices.map((s) =>
      keccak256(concatBytes(sliceNumberPrefix(s.number), bytes.subarray(s.offset, s.offset + s.size))),
    )
    const blob = new Blob([bytes])
    const reads = { n: 0 }
    const counting = new Proxy(blob, {
      get(target, key) {
        if (key === 'arrayBuffer' || key === 'stream') reads.n++
        const v = Reflect.get(target, key, target)
        return typeof v === 'function' ? v.bind(target) : v
      },
    })
    const gen = cutSlices(counting as Blob, expected.fileHash, { sliceSize: MIN_SLICE_SIZE, digests })
    const hashes = []
    for (;;) {
      const step = await gen.next()
      if (step.done) break
      hashes.push(step.value.hash)
    }
    expect(hashes).toEqual(expected.slices.map((s) => s.hash))
    expect(reads.n).toBe(0)
    // A wrong digest gives a wrong hash (the resource node and the store would then refuse the slice).
    const wrong = digests.map((d, i) => (i === 1 ? d.map((b) => b ^ 1) : d))
    const again = cutSlices(blob, expected.fileHash, { sliceSize: MIN_SLICE_SIZE, digests: wrong })
    const all = []
    for await (const s of again) all.push(s.hash)
    expect(all[1]).not.toBe(expected.slices[1]?.hash)
  })

  it('refuses digests that do not match the slice count with SliceDigestCountError', async () => {
    const blob = new Blob([new Uint8Array(3 * MIN_SLICE_SIZE)])
    const { fileHash } = await hashFile(blob)
    const gen = cutSlices(blob, fileHash, { sliceSize: MIN_SLICE_SIZE, digests: [new Uint8Array(32)] })
    await expect(gen.next()).rejects.toMatchObject({ name: 'SliceDigestCountError' })
  })

  const sizes = [0, 1, MIN_SLICE_SIZE - 1, MIN_SLICE_SIZE, 3 * MIN_SLICE_SIZE + 17]
  for (const [kind, size] of sizes.flatMap((n) => [['bytes', n] as const, ['Blob', n] as const])) {
    it(`gives the same slice hashes as core's sliceFile for ${size} bytes as ${kind}`, async () => {
      const bytes = new Uint8Array(size)
      for (let i = 0; i < size; i++) bytes[i] = (i * 131 + 7) & 0xff
      const expected = await sliceFile(bytes, { sliceSize: MIN_SLICE_SIZE })
      const input = kind === 'Blob' ? new Blob([bytes]) : bytes
      const got = await collect(input, MIN_SLICE_SIZE)
      expect(got.fileHash).toBe(expected.fileHash)
      expect(got.size).toBe(size)
      expect(got.slices.map((s) => [s.number, s.size, s.hash])).toEqual(
        expected.slices.map((s) => [s.number, s.size, s.hash]),
      )
      for (const s of got.slices) {
        const data = s.data instanceof Blob ? new Uint8Array(await s.data.arrayBuffer()) : s.data
        expect(data).toEqual(bytes.subarray(s.offset, s.offset + s.size))
      }
    })
  }
})
