import { computeFileHash, computeSliceHash, keccak256, sliceHashFromInnerDigest } from '@stratos-edge/core'
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

  it('moves owned buffers to the worker and back; copies pooled ones; same digests', async () => {
    const pool = createSliceHashPool({ size: 1 })
    try {
      const fileHash = computeFileHash(Uint8Array.of(9))
      const big = Buffer.allocUnsafe(256 * 1024)
      big.set(randomBytes(big.length))
      const expectedBig = computeSliceHash(2, big, fileHash)
      const copyOfBig = Uint8Array.from(big)
      const moved = await pool.digestMoving(2, big)
      expect(big.buffer.byteLength).toBe(0) // moved away: the caller must use the returned bytes
      expect(moved.data).toEqual(copyOfBig)
      expect(sliceHashFromInnerDigest(moved.digest, fileHash)).toBe(expectedBig)
      // A small Buffer lives in Node's shared pool: it cannot move, so it is copied and left intact.
      const small = Buffer.from('a small slice')
      const r = await pool.digestMoving(1, small)
      expect(small.toString()).toBe('a small slice')
      expect(sliceHashFromInnerDigest(r.digest, fileHash)).toBe(computeSliceHash(1, small, fileHash))
    } finally {
      await pool.close()
    }
  })

  it('digests whole files in order on a worker, streams kept apart, and fails a stream whose worker died', async () => {
    const pool = createSliceHashPool({ size: 1 })
    try {
      const parts = Array.from({ length: 5 }, (_, i) => randomBytes(70_000 + i))
      const whole = Buffer.concat(parts)
      const a = pool.fileDigest()
      const b = pool.fileDigest()
      const dropped = pool.fileDigest()
      await dropped.update(parts[0] as Uint8Array)
      dropped.cancel()
      for (const part of parts) {
        await Promise.all([a.update(part), b.update(part.subarray(1))])
        expect(part.byteLength).toBeGreaterThan(0) // copied, not moved: the caller keeps its bytes
      }
      expect(await a.digest()).toEqual(keccak256(whole))
      expect(await b.digest()).toEqual(keccak256(Buffer.concat(parts.map((p) => p.subarray(1)))))
      await expect(a.digest()).rejects.toMatchObject({ name: 'HashPoolError' })
      const cut = pool.fileDigest()
      await cut.update(parts[0] as Uint8Array)
      await pool.crashForTest()
      await new Promise((r) => setTimeout(r, 100))
      // Half a file was hashed on the dead worker: the stream fails rather than digest the rest alone.
      await expect(cut.update(parts[1] as Uint8Array)).rejects.toMatchObject({ name: 'HashPoolError' })
      const fresh = pool.fileDigest()
      await fresh.update(whole)
      expect(await fresh.digest()).toEqual(keccak256(whole))
    } finally {
      await pool.close()
    }
  })
})
