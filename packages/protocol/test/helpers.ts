import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import type { Libp2p } from '@libp2p/interface'
import { tcp } from '@libp2p/tcp'
import { computeFileHash, computeSliceHash, type FileHash } from '@stratos-edge/core'
import { createLibp2p } from 'libp2p'
import type { SliceRecord } from '../src/index.js'

export async function createTestNode(): Promise<Libp2p> {
  return createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
  })
}

export function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n)
  for (let o = 0; o < n; o += 65536) crypto.getRandomValues(out.subarray(o, Math.min(n, o + 65536)))
  return out
}

/** A random file cut into slices of `sliceSize`, with real SDS hashes. */
export function makeFile(size: number, sliceSize: number): { fileHash: FileHash; slices: SliceRecord[] } {
  const file = randomBytes(size)
  const fileHash = computeFileHash(file)
  const slices: SliceRecord[] = []
  for (let o = 0, n = 1; o < size; o += sliceSize, n++) {
    const data = file.slice(o, Math.min(size, o + sliceSize))
    slices.push({ hash: computeSliceHash(n, data, fileHash), fileHash, number: n, data })
  }
  return { fileHash, slices }
}
