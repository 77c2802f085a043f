import { open, readdir, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import {
  DecodeError,
  type FileHash,
  fileHashFromBytes,
  fileHashFromDigest,
  fileHashToBytes,
  isSliceHash,
  type SliceHash,
  sliceHashFromInnerDigest,
} from '@stratos-edge/core'
import type { SliceInfo } from '@stratos-edge/protocol'
import type { Logger } from '../logger.js'

/**
 * The slice file format: a header (magic "SESL", version, file hash, slice number, size) and then the
 * slice's bytes. One file per slice, `slices/<xy>/<slice hash>.slice`.
 */
const MAGIC = [0x53, 0x45, 0x53, 0x4c] // "SESL"
const VERSION = 1
/** The longest header (a 64-byte file hash). */
export const MAX_HEADER = 4 + 1 + 1 + 64 + 8 + 4

/** The header of slice `number` of `fileHash`, `size` bytes long. */
export function encodeHeader(fileHash: FileHash, number: number, size: number): Uint8Array {
  const fh = fileHashToBytes(fileHash)
  const out = new Uint8Array(4 + 1 + 1 + fh.length + 8 + 4)
  const dv = new DataView(out.buffer)
  out.set(MAGIC, 0)
  out[4] = VERSION
  out[5] = fh.length
  out.set(fh, 6)
  dv.setBigUint64(6 + fh.length, BigInt(number))
  dv.setUint32(14 + fh.length, size)
  return out
}

/**
 * Header room left in front of staged bytes: the header's length depends only on the file hash's binary
 * length, the same for every SDS file hash (encrypted or not, either codec).
 */
export const STAGED_HEADER_BYTES = encodeHeader(fileHashFromDigest(new Uint8Array(32)), 0, 0).length

/** Reads a slice file header; throws DecodeError. */
export function decodeHeader(buf: Uint8Array): {
  fileHash: FileHash
  number: number
  size: number
  headerBytes: number
} {
  if (buf.length < 6 || !MAGIC.every((b, i) => buf[i] === b))
    throw new DecodeError('Not a slice file', 'Delete it')
  if (buf[4] !== VERSION) throw new DecodeError(`Slice file version ${buf[4]}`, 'Upgrade the node')
  const fhLen = buf[5] as number
  const headerBytes = 6 + fhLen + 12
  if (buf.length < headerBytes) throw new DecodeError('Truncated slice file header', 'Delete it')
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  const fileHash = fileHashFromBytes(buf.subarray(6, 6 + fhLen))
  const number = Number(dv.getBigUint64(6 + fhLen))
  const size = dv.getUint32(14 + fhLen)
  return { fileHash, number, size, headerBytes }
}

/** A streaming Keccak-256 (the hash pool's `fileDigest`, or one on this thread). */
export interface DigestStream {
  update(bytes: Uint8Array): Promise<void>
  digest(): Promise<Uint8Array>
  cancel(): void
}

/** Bytes read at once when a slice file is verified: memory stays bounded whatever the slice size. */
const VERIFY_CHUNK_BYTES = 1024 * 1024

/**
 * Whether the slice file at `path` holds slice `hash`: its header is read, then its bytes streamed
 * through `digest` in chunks of at most 1 MiB. Throws DecodeError for a malformed or truncated file;
 * a hashing failure rejects (it says nothing about the bytes).
 */
export async function sliceFileMatches(
  path: string,
  hash: SliceHash,
  digest: DigestStream,
): Promise<boolean> {
  const fh = await open(path, 'r')
  try {
    const head = new Uint8Array(MAX_HEADER)
    const { bytesRead } = await fh.read(head, 0, MAX_HEADER, 0)
    const h = decodeHeader(head.subarray(0, bytesRead))
    const prefix = new Uint8Array(8)
    new DataView(prefix.buffer).setBigUint64(0, BigInt(h.number))
    await digest.update(prefix)
    const buf = new Uint8Array(Math.min(VERIFY_CHUNK_BYTES, Math.max(1, h.size)))
    for (let at = 0; at < h.size; ) {
      const want = Math.min(buf.length, h.size - at)
      const { bytesRead: n } = await fh.read(buf, 0, want, h.headerBytes + at)
      if (n === 0) throw new DecodeError('Truncated slice file', 'Removed')
      await digest.update(buf.subarray(0, n))
      at += n
    }
    return sliceHashFromInnerDigest(await digest.digest(), h.fileHash) === hash
  } finally {
    digest.cancel()
    await fh.close()
  }
}

/** Reads `length` bytes at `offset` of a slice file's data (after its `headerBytes`); short at its end. */
export async function readSliceFileData(
  path: string,
  headerBytes: number,
  offset: number,
  length: number,
): Promise<Uint8Array> {
  const fh = await open(path, 'r')
  try {
    const out = new Uint8Array(length)
    let got = 0
    while (got < length) {
      const { bytesRead } = await fh.read(out, got, length - got, headerBytes + offset + got)
      if (bytesRead === 0) break
      got += bytesRead
    }
    return got === length ? out : out.subarray(0, got)
  } finally {
    await fh.close()
  }
}

/** A slice file found on disk: what its header says, and its whole size. */
export interface FoundSliceFile extends SliceInfo {
  fileBytes: number
  /** When the file was written (its mtime), ms since the epoch. */
  storedAt: number
}

/**
 * Reads the headers of every slice file under `slicesDir` (`<xy>/<slice hash>.slice`); files that are
 * not slice files, or whose header or size is wrong, are removed.
 */
export async function scanSliceFiles(slicesDir: string, logger?: Logger): Promise<FoundSliceFile[]> {
  const found: FoundSliceFile[] = []
  for (const sub of await readdir(slicesDir)) {
    const subDir = join(slicesDir, sub)
    for (const name of await readdir(subDir).catch(() => [] as string[])) {
      const path = join(subDir, name)
      const hash = name.replace(/\.slice$/, '')
      try {
        if (!name.endsWith('.slice') || !isSliceHash(hash))
          throw new DecodeError('Unexpected file', 'Removed')
        const fh = await open(path, 'r')
        let head: Uint8Array
        let fileBytes: number
        let storedAt: number
        try {
          const buf = new Uint8Array(MAX_HEADER)
          const { bytesRead } = await fh.read(buf, 0, MAX_HEADER, 0)
          head = buf.subarray(0, bytesRead)
          const stat = await fh.stat()
          fileBytes = stat.size
          storedAt = stat.mtimeMs
        } finally {
          await fh.close()
        }
        const h = decodeHeader(head)
        if (h.headerBytes + h.size !== fileBytes) throw new DecodeError('Slice file size mismatch', 'Removed')
        found.push({
          hash: hash as SliceHash,
          fileHash: h.fileHash,
          number: h.number,
          size: h.size,
          fileBytes,
          storedAt,
        })
      } catch (err) {
        logger?.warn('removing unreadable slice file', { path, error: err })
        await unlink(path).catch(() => {})
      }
    }
  }
  return found
}
