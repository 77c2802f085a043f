import { computeFileHash, computeSliceHash } from '@stratos-edge/core'
import { describe, expect, it } from 'vitest'
import { createSliceHashPool } from '../src/index.js'
import { randomBytes } from './helpers.js'

describe('slice hash pool (worker threads)', () => {
  it('hashes like core, in parallel, and survives a worker crash', async () => {
    const pool = createSliceHashPool({ size: 2 })
    try {
      const fileHash = computeFileHash(Uint8Array.of(1, 2, 3))
      const slices = Array.from({ length: 6 }, (_, i) => randomBytes(100_000 + i))
      const hashes = await Promise.all(slices.map((d, i) => pool.hashSlice(i + 1, d, fileHash)))
      expect(hashes).toEqual(slices.map((d, i) => computeSliceHash(i + 1, d, fileHash)))
      await pool.crashForTest()
      await new Promise((r) => setTimeout(r, 100))
      const again = await Promise.all(slices.map((d, i) => pool.hashSlice(i + 1, d, fileHash)))
      expect(again).toEqual(hashes)
    } finally {
      await pool.close()
    }
  })
})
