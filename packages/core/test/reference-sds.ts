// An independent reference implementation of the SDS id algorithms, written the way the public
// stratos-sdk computes a file hash (multihash of the multihash of the whole file; stratos-sdk
// src/filesystem/filesystem.ts) and the way sds computes a slice hash (framework/crypto/hash_tools.go).
// It shares no code with src/: ethers' keccak256, and base32hex through BigInt arithmetic.
import { getBytes, keccak256 } from 'ethers'

function multihash(data: Uint8Array): Uint8Array {
  const digest = getBytes(keccak256(data)).slice(0, 20)
  return Uint8Array.from([0x1b, 0x14, ...digest])
}

function base32hexOf(bytes: Uint8Array): string {
  const alphabet = '0123456789abcdefghijklmnopqrstuv'
  const bits = bytes.length * 8
  const chars = Math.ceil(bits / 5)
  let n = BigInt(`0x${Buffer.from(bytes).toString('hex')}`) << BigInt(chars * 5 - bits)
  let out = ''
  for (let i = 0; i < chars; i++) {
    out = alphabet[Number(n & 31n)] + out
    n >>= 5n
  }
  return out
}

export function referenceFileHash(file: Uint8Array): string {
  return `v${base32hexOf(Uint8Array.from([0x01, 0x66, ...multihash(multihash(file))]))}`
}

export function referenceSliceHash(number: number, slice: Uint8Array, fileHash: string): string {
  const fileMh = multihashOfFileHash(fileHash)
  const prefix = new Uint8Array(8)
  new DataView(prefix.buffer).setBigUint64(0, BigInt(number))
  const joined = new Uint8Array(8 + slice.length)
  joined.set(prefix)
  joined.set(slice, 8)
  const sliceMh = multihash(joined)
  const xored = sliceMh.map((b, i) => b ^ (fileMh[i] as number))
  return `v${base32hexOf(Uint8Array.from([0x01, 0x55, ...multihash(xored)]))}`
}

function multihashOfFileHash(fileHash: string): Uint8Array {
  const alphabet = '0123456789abcdefghijklmnopqrstuv'
  let n = 0n
  for (const ch of fileHash.slice(1)) n = (n << 5n) | BigInt(alphabet.indexOf(ch))
  // 39 base32 characters carry 195 bits for 24 bytes (192 bits): drop the 3 padding bits.
  const hex = (n >> 3n).toString(16).padStart(48, '0')
  return Uint8Array.from(Buffer.from(hex, 'hex')).subarray(2)
}
