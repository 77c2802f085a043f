import { keccak_256 } from '@noble/hashes/sha3.js'
import { INPUT_AT, INPUT_BLOCKS, KECCAK256_RATE, keccakModule, STATE_AT } from './keccak-wasm.js'

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
  /** Returns the 32-byte digest and starts the stream over. */
  digest(): Uint8Array
  reset(): void
}

/**
 * Creates an incremental Keccak-256 in WebAssembly (see `keccak-wasm.ts`). The module is written out
 * in code, so this works offline in browsers, workers and Node; each stream has its own 64 KiB memory.
 *
 * @example
 * ```ts
 * const k = await createKeccakStream()
 * k.update(part1); k.update(part2)
 * const digest = k.digest()
 * ```
 */
export async function createKeccakStream(): Promise<KeccakStream> {
  const instance = await WebAssembly.instantiate(await keccakModule())
  const { absorb, memory } = instance.exports as { absorb(blocks: number): void; memory: WebAssembly.Memory }
  const bytes = new Uint8Array(memory.buffer)
  const block = bytes.subarray(INPUT_AT, INPUT_AT + KECCAK256_RATE)
  /** Bytes of a part block waiting at INPUT_AT. */
  let pending = 0
  const reset = () => {
    bytes.fill(0, STATE_AT, STATE_AT + 25 * 8) // the 25 lanes
    pending = 0
  }
  reset()
  return {
    update(chunk) {
      let at = 0
      if (pending > 0) {
        const take = Math.min(KECCAK256_RATE - pending, chunk.length)
        block.set(chunk.subarray(0, take), pending)
        pending += take
        at = take
        if (pending < KECCAK256_RATE) return
        absorb(1)
        pending = 0
      }
      while (chunk.length - at >= KECCAK256_RATE) {
        const blocks = Math.min(INPUT_BLOCKS, Math.floor((chunk.length - at) / KECCAK256_RATE))
        const end = at + blocks * KECCAK256_RATE
        bytes.set(chunk.subarray(at, end), INPUT_AT)
        absorb(blocks)
        at = end
      }
      if (at < chunk.length) {
        block.set(chunk.subarray(at))
        pending = chunk.length - at
      }
    },
    digest() {
      // Keccak's own padding (0x01 … 0x80), not SHA-3's (0x06 … 0x80).
      block.fill(0, pending)
      block[pending] = 0x01
      block[KECCAK256_RATE - 1] = (block[KECCAK256_RATE - 1] as number) | 0x80
      absorb(1)
      const digest = bytes.slice(STATE_AT, STATE_AT + 32)
      reset()
      return digest
    },
    reset,
  }
}
