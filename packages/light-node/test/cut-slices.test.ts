import { hashFile, MIN_SLICE_SIZE, sliceFile } from '@stratos-edge/core'
import { describe, expect, it } from 'vitest'
import { cutSlices } from '../src/node/cut-slices.js'

async function collect(input: Uint8Array, sliceSize: number) {
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
  for (const size of [0, 1, MIN_SLICE_SIZE - 1, MIN_SLICE_SIZE, 3 * MIN_SLICE_SIZE + 17]) {
    it(`gives the same slice hashes as core's sliceFile for ${size} bytes`, async () => {
      const input = new Uint8Array(size)
      for (let i = 0; i < size; i++) input[i] = (i * 131 + 7) & 0xff
      const expected = await sliceFile(input, { sliceSize: MIN_SLICE_SIZE })
      const got = await collect(input, MIN_SLICE_SIZE)
      expect(got.fileHash).toBe(expected.fileHash)
      expect(got.size).toBe(size)
      expect(got.slices.map((s) => [s.number, s.size, s.hash])).toEqual(
        expected.slices.map((s) => [s.number, s.size, s.hash]),
      )
    })
  }
})
