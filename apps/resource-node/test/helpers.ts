import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import type { Libp2p } from '@libp2p/interface'
import { tcp } from '@libp2p/tcp'
import { webSockets } from '@libp2p/websockets'
import {
  computeSliceHash,
  createManifest,
  encodeManifest,
  encodeTicket,
  issueTicket,
  type KeyPair,
  keyPairFromPrivateKey,
  type Manifest,
  type SlicedFile,
  signManifest,
  sliceFile,
} from '@stratos-edge/core'
import type { SliceRecord } from '@stratos-edge/protocol'
import { createLibp2p } from 'libp2p'
import { createLogger } from '../src/index.js'

export const quietLogger = createLogger({ level: (process.env.LOG_LEVEL as 'debug' | undefined) ?? 'error' })

export const owner = keyPairFromPrivateKey(new Uint8Array(32).fill(1))

/** An encoded upload ticket for {@link owner}, valid an hour, as a meta service with key `issuer` signs it. */
export function ownerUploadTicket(issuer: KeyPair, network: number, bytesAllowed: number): Uint8Array {
  return encodeTicket(
    issueTicket(
      {
        kind: 'upload',
        network,
        owner: owner.address,
        holder: owner.address,
        bytesAllowed: BigInt(bytesAllowed),
        expiresAt: Math.floor(Date.now() / 1000) + 3600,
      },
      issuer,
    ),
  )
}

export async function tempDir(prefix: string): Promise<{ dir: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `stratos-${prefix}-`))
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) }
}

/** A client node like a browser's (WebSockets + TCP dialer, no listener). */
export async function createClient(): Promise<Libp2p> {
  return createLibp2p({
    transports: [webSockets(), tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
  })
}

export function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n)
  for (let o = 0; o < n; o += 65536) crypto.getRandomValues(out.subarray(o, Math.min(n, o + 65536)))
  return out
}

export interface TestFile {
  bytes: Uint8Array
  manifest: Manifest
  manifestBytes: Uint8Array
  slices: SliceRecord[]
}

/** A random file, sliced with core, with its signed manifest. */
export async function makeFile(size: number, sliceSize: number, mimeType = 'video/mp4'): Promise<TestFile> {
  const bytes = randomBytes(size)
  const sliced = await sliceFile(bytes, { sliceSize })
  const manifest = signManifest(
    createManifest({ sliced, owner: owner.address, name: 'clip.mp4', mimeType }),
    owner.privateKey,
  )
  return { bytes, manifest, manifestBytes: encodeManifest(manifest), slices: sliceRecords(bytes, sliced) }
}

/** The slice records of `bytes` as core sliced them, each with a copy of its bytes. */
export function sliceRecords(bytes: Uint8Array, sliced: SlicedFile): SliceRecord[] {
  return sliced.slices.map((s) => ({
    hash: s.hash,
    fileHash: sliced.fileHash,
    number: s.number,
    data: bytes.slice(s.offset, s.offset + s.size),
  }))
}

/** Another account, which signs manifests naming files that are not its own. */
export const stranger = keyPairFromPrivateKey(new Uint8Array(32).fill(2))

/**
 * A stranger's manifest that names `file`'s file hash but lists other bytes: each of its slices verifies
 * (a slice hash binds the file hash, not the file's content), only the whole file does not.
 */
export function forgeManifestOf(
  file: TestFile,
  options: { mimeType?: string; empty?: boolean; encrypted?: boolean } = {},
): TestFile {
  const fileHash = file.manifest.fileHash
  const bytes = options.empty ? new Uint8Array() : file.bytes.map((b) => b ^ 0x5a)
  const slices = (options.empty ? file.slices.slice(0, 1) : file.slices).map((s, i) => {
    const offset = i * file.manifest.sliceSize
    const data = bytes.slice(offset, offset + (options.empty ? 0 : s.data.length))
    return { hash: computeSliceHash(s.number, data, fileHash), fileHash, number: s.number, data }
  })
  const manifest = signManifest(
    createManifest({
      sliced: {
        fileHash,
        size: bytes.length,
        sliceSize: file.manifest.sliceSize,
        codec: 0x66,
        slices: slices.map((s, i) => ({
          number: s.number,
          size: s.data.length,
          hash: s.hash,
          offset: i * file.manifest.sliceSize,
        })),
      },
      owner: stranger.address,
      mimeType: options.mimeType ?? 'text/html',
      ...(options.encrypted
        ? { encryption: { scheme: 'sds-aes-256-gcm', tag: Uint8Array.of(1), params: new Uint8Array() } }
        : {}),
    }),
    stranger.privateKey,
  )
  return { bytes, manifest, manifestBytes: encodeManifest(manifest), slices }
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return (
    Buffer.compare(
      Buffer.from(a.buffer, a.byteOffset, a.byteLength),
      Buffer.from(b.buffer, b.byteOffset, b.byteLength),
    ) === 0
  )
}

/** Polls `check` until it holds; throws when it does not within `timeoutMs`. */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 20))
  }
}
