import * as Digest from 'multiformats/hashes/digest'
import { bytesEqual } from '../encoding/bytes.js'
import { keccak256 } from './keccak.js'

/** Multihash function code of Keccak-256 (`0x1b`). */
export const KECCAK_256_CODE = 0x1b
/** SDS truncates Keccak-256 digests to 20 bytes. */
export const SDS_DIGEST_LENGTH = 20
/** Length of an SDS multihash: code, length, 20 digest bytes. */
export const SDS_MULTIHASH_LENGTH = 2 + SDS_DIGEST_LENGTH

/** Wraps the first 20 bytes of a Keccak-256 digest as an SDS multihash (`0x1b 0x14 ‖ digest[0:20]`). */
export function sdsMultihashFromDigest(digest: Uint8Array): Uint8Array {
  return sdsDigest(digest).bytes
}

/** The same as a `multiformats` multihash digest, the form `CID.create` takes. */
export function sdsDigest(digest: Uint8Array): Digest.Digest<typeof KECCAK_256_CODE, number> {
  return Digest.create(KECCAK_256_CODE, digest.subarray(0, SDS_DIGEST_LENGTH))
}

/**
 * The SDS multihash of `data`: `0x1b 0x14 ‖ keccak256(data)[0:20]`.
 *
 * @example
 * ```ts
 * sdsMultihash(new Uint8Array()) // 22 bytes starting 0x1b 0x14
 * ```
 */
export function sdsMultihash(data: Uint8Array): Uint8Array {
  return sdsMultihashFromDigest(keccak256(data))
}

/** True when `bytes` is a well-formed 22-byte SDS multihash. */
export function isSdsMultihash(bytes: Uint8Array): boolean {
  return (
    bytes.length === SDS_MULTIHASH_LENGTH && bytes[0] === KECCAK_256_CODE && bytes[1] === SDS_DIGEST_LENGTH
  )
}

/** Compares two multihashes byte for byte. */
export function multihashEqual(a: Uint8Array, b: Uint8Array): boolean {
  return bytesEqual(a, b)
}
