import { computeFileHash, type FileHash } from '@stratos-edge/core'
import { describe, expect, it } from 'vitest'
import type { ReadableDownload } from '../src/node/file-reads.js'
import { verifyWholeFile } from '../src/node/verified-download.js'

function bytes(length: number, seed: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 13 + seed) & 0xff)
}

/** A download that yields `chunks` in order and records whether it was cancelled. */
function fromChunks(chunks: Uint8Array[]): ReadableDownload & { cancelled: boolean } {
  let at = 0
  return {
    cancelled: false,
    async next() {
      return chunks[at++]
    },
    cancel() {
      this.cancelled = true
    },
  }
}

async function readAll(download: ReadableDownload): Promise<Uint8Array[]> {
  const out: Uint8Array[] = []
  for (let b = await download.next(); b !== undefined; b = await download.next()) out.push(b)
  return out
}

describe('verifyWholeFile', () => {
  it('passes the bytes of the file through, in order, and then ends', async () => {
    const chunks = [bytes(1000, 1), bytes(1000, 2), bytes(337, 3)]
    const fileHash = computeFileHash(Uint8Array.from(chunks.flatMap((c) => [...c]))) as FileHash
    const verified = await verifyWholeFile(fromChunks(chunks), fileHash)
    expect(await readAll(verified)).toEqual(chunks)
    expect(await verified.next()).toBeUndefined()
    const empty = await verifyWholeFile(fromChunks([]), computeFileHash(new Uint8Array()) as FileHash)
    expect(await empty.next()).toBeUndefined()
  })

  it('holds the last bytes back and fails with FileVerificationError when the file is not the one asked for', async () => {
    const asked = computeFileHash(bytes(2000, 1)) as FileHash
    const served = [bytes(1000, 1), bytes(1000, 9)]
    const verified = await verifyWholeFile(fromChunks(served), asked)
    expect(await verified.next()).toEqual(served[0])
    await expect(verified.next()).rejects.toMatchObject({ name: 'FileVerificationError' })
    // Never an end of file after that.
    await expect(verified.next()).rejects.toMatchObject({ name: 'FileVerificationError' })
  })

  it('cancels the download underneath', async () => {
    const inner = fromChunks([bytes(10, 1)])
    const verified = await verifyWholeFile(inner, computeFileHash(bytes(10, 1)) as FileHash)
    verified.cancel()
    expect(inner.cancelled).toBe(true)
  })
})
