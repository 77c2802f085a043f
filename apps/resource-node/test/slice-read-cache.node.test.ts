import { open } from 'node:fs/promises'
import { join } from 'node:path'
import type { SliceRecord } from '@stratos-edge/protocol'
import { afterEach, describe, expect, it } from 'vitest'
import { createSliceHashPool, type DiskSliceStore, openDiskSliceStore } from '../src/index.js'
import { createSliceReadCache } from '../src/store/slice-read-cache.js'
import { makeFile, quietLogger, sameBytes, tempDir } from './helpers.js'

describe('slice read cache', () => {
  const cleanups: Array<() => Promise<void>> = []
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c()
  })

  /** A store holding one 1 MiB slice, reopened so nothing is verified yet; counts its streamed hashes. */
  const setup = async () => {
    const t = await tempDir('read-cache')
    const pool = createSliceHashPool({ size: 1 })
    const file = await makeFile(1024 * 1024, 1024 * 1024)
    const slice = file.slices[0] as SliceRecord
    const first = await openDiskSliceStore({ dir: t.dir, logger: quietLogger })
    await first.put(slice)
    await first.close()
    const digests = { count: 0 }
    const store = await openDiskSliceStore({
      dir: t.dir,
      logger: quietLogger,
      sliceDigest: () => {
        digests.count++
        return pool.fileDigest()
      },
    })
    cleanups.push(async () => {
      await store.close()
      await pool.close()
      await t.cleanup()
    })
    return { store, slice, digests, dir: t.dir }
  }
  const readAll = async (it: AsyncIterable<Uint8Array>) => {
    const parts: Uint8Array[] = []
    for await (const c of it) parts.push(c)
    return new Uint8Array(Buffer.concat(parts))
  }

  it('verifies a slice on its first read only, reads in bounded chunks, and stays within its size', async () => {
    const { store, slice, digests } = await setup()
    let diskReads = 0
    let largest = 0
    const counted: Pick<DiskSliceStore, 'verifyOnce' | 'readData' | 'info'> = {
      verifyOnce: (h) => store.verifyOnce(h),
      info: (h) => store.info(h),
      readData: (h, offset, length) => {
        diskReads++
        largest = Math.max(largest, length)
        return store.readData(h, offset, length)
      },
    }
    const cache = createSliceReadCache({ maxBytes: 256 * 1024, chunkBytes: 64 * 1024 }, { store: counted })
    // Ten readers at once: one check, and each chunk read from disk once while it is kept.
    const all = await Promise.all(
      Array.from({ length: 10 }, () => readAll(cache.read(slice.hash, 0, slice.data.length))),
    )
    for (const bytes of all) expect(sameBytes(bytes, slice.data)).toBe(true)
    expect(digests.count).toBe(1)
    expect(largest).toBe(64 * 1024)
    expect(cache.cachedBytes).toBeLessThanOrEqual(256 * 1024)
    expect(diskReads).toBeLessThan(10 * 16)
    // A range, read again later: no new check.
    const part = await readAll(cache.read(slice.hash, 70_000, 200_000))
    expect(sameBytes(part, slice.data.subarray(70_000, 200_000))).toBe(true)
    expect(digests.count).toBe(1)
  })

  it('a slice corrupted on disk before its first read is refused and removed', async () => {
    const { store, slice, dir } = await setup()
    const path = join(dir, 'slices', slice.hash.slice(-2), `${slice.hash}.slice`)
    const fh = await open(path, 'r+')
    const byte = new Uint8Array(1)
    await fh.read(byte, 0, 1, 5000)
    await fh.write(Uint8Array.of((byte[0] as number) ^ 0xff), 0, 1, 5000)
    await fh.close()
    const cache = createSliceReadCache({}, { store })
    await expect(readAll(cache.read(slice.hash, 0, 10))).rejects.toMatchObject({ name: 'SliceNotFoundError' })
    expect(await store.has(slice.hash)).toBe(false)
  })
})
