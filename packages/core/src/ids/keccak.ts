import { keccak_256 } from '@noble/hashes/sha3.js'
import { createKeccak, type IHasher } from 'hash-wasm'

/**
 * Keccak-256 (original Keccak padding, as Ethereum and SDS use; not SHA3-256) of a small input,
 * synchronously. For bulk data use {@link createKeccakStream}, which runs in WebAssembly and is many
 * times faster.
 *
 * @example
 * ```ts
 * keccak256(new TextEncoder().encode('abc')) // 32 bytes
 * ```
 */
export function keccak256(data: Uint8Array): Uint8Array {
  return keccak_256(data)
}

/** An incremental Keccak-256 over many chunks. */
export interface KeccakStream {
  update(chunk: Uint8Array): void
  /** Returns the 32-byte digest; the stream can then be reused after {@link KeccakStream.reset}. */
  digest(): Uint8Array
  reset(): void
}

/**
 * Creates an incremental Keccak-256 backed by WebAssembly (hash-wasm). The WASM module is embedded in
 * the package, so this works offline in browsers, workers and Node.
 *
 * @example
 * ```ts
 * const k = await createKeccakStream()
 * k.update(part1); k.update(part2)
 * const digest = k.digest()
 * ```
 */
export async function createKeccakStream(): Promise<KeccakStream> {
  const hasher: IHasher = await createKeccak(256)
  hasher.init()
  return {
    update(chunk) {
      hasher.update(chunk)
    },
    digest() {
      return hasher.digest('binary')
    },
    reset() {
      hasher.init()
    },
  }
}
