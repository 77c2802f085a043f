import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { writeFileAtomic, writeSynced } from '../src/store/atomic-file.js'
import { randomBytes, sameBytes, tempDir } from './helpers.js'

describe('atomic file writes', () => {
  const cleanups: Array<() => Promise<void>> = []
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c()
  })
  const fresh = async (): Promise<string> => {
    const t = await tempDir('atomic')
    cleanups.push(t.cleanup)
    return t.dir
  }

  it('writes its parts in order under the final name, leaving no temp file', async () => {
    const dir = await fresh()
    const parts = [randomBytes(37), new Uint8Array(0), randomBytes(300_000), randomBytes(5)]
    await writeFileAtomic(dir, join(dir, 'out.bin'), parts)
    const expected = Buffer.concat(parts)
    expect(sameBytes(await readFile(join(dir, 'out.bin')), expected)).toBe(true)
    expect(await readdir(dir)).toEqual(['out.bin'])
  })

  it('replaces an existing file whole', async () => {
    const dir = await fresh()
    await writeFileAtomic(dir, join(dir, 'out.bin'), [randomBytes(1000)])
    const next = randomBytes(10)
    await writeFileAtomic(dir, join(dir, 'out.bin'), [next])
    expect(sameBytes(await readFile(join(dir, 'out.bin')), next)).toBe(true)
  })

  it('rejects when the final directory is missing, and nothing is left unhandled', async () => {
    const dir = await fresh()
    await expect(writeFileAtomic(dir, join(dir, 'missing', 'out.bin'), [randomBytes(10)])).rejects.toThrow(
      /ENOENT/,
    )
  })

  it('writeSynced writes parts at a position of an existing file', async () => {
    const dir = await fresh()
    const path = join(dir, 'f.bin')
    await writeSynced(path, 'wx', [randomBytes(100)])
    const a = randomBytes(10)
    const b = randomBytes(20)
    await writeSynced(path, 'r+', [a, b], 50)
    const got = await readFile(path)
    expect(got.length).toBe(100)
    expect(sameBytes(got.subarray(50, 80), Buffer.concat([a, b]))).toBe(true)
  })
})
