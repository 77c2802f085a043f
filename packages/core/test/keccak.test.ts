// The WebAssembly Keccak-256 stream against independent implementations (ethers' and @noble's, which
// share no code with it), over lengths around the 136-byte block and the module's input buffer, split
// into updates at random points.
import { keccak_256 } from '@noble/hashes/sha3.js'
import { keccak256 as ethersKeccak256, getBytes } from 'ethers'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { INPUT_BLOCKS, KECCAK256_RATE, keccakModuleBytes } from '../src/ids/keccak-wasm.js'
import { createKeccakStream, toHex } from '../src/index.js'

const hex = (bytes: Uint8Array) => toHex(bytes)

describe('createKeccakStream', () => {
  it('emits a module WebAssembly accepts', () => {
    expect(WebAssembly.validate(keccakModuleBytes())).toBe(true)
  })

  it('gives the known Keccak-256 digests (not SHA3-256)', async () => {
    const k = await createKeccakStream()
    k.update(new Uint8Array())
    expect(hex(k.digest())).toBe('0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470')
    k.update(new TextEncoder().encode('abc'))
    expect(hex(k.digest())).toBe('0x4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45')
  })

  it('matches ethers at every length around a block and around the input buffer', async () => {
    const k = await createKeccakStream()
    const bufferBytes = INPUT_BLOCKS * KECCAK256_RATE
    const lengths = [
      ...Array.from({ length: 3 * KECCAK256_RATE + 2 }, (_, i) => i),
      bufferBytes - 1,
      bufferBytes,
      bufferBytes + 1,
      bufferBytes + KECCAK256_RATE,
      3 * bufferBytes + 7,
    ]
    for (const length of lengths) {
      const data = Uint8Array.from({ length }, (_, i) => (i * 131 + length) & 0xff)
      k.update(data)
      expect(hex(k.digest()), `length ${length}`).toBe(hex(getBytes(ethersKeccak256(data))))
    }
  })

  it('gives the same digest however the input is split', async () => {
    const k = await createKeccakStream()
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 3 * INPUT_BLOCKS * KECCAK256_RATE }),
        fc.array(fc.nat(), { maxLength: 12 }),
        async (data, cuts) => {
          const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((x, y) => x - y)
          let from = 0
          for (const to of [...points, data.length]) {
            k.update(data.subarray(from, to))
            from = to
          }
          expect(hex(k.digest())).toBe(hex(keccak_256(data)))
        },
      ),
      { numRuns: 200 },
    )
  })

  it('gives the same digest fed a byte at a time, and at every two-part split of a few blocks', async () => {
    const k = await createKeccakStream()
    const data = Uint8Array.from({ length: 3 * KECCAK256_RATE + 5 }, (_, i) => (i * 37) & 0xff)
    for (const byte of data) k.update(Uint8Array.of(byte))
    const expected = hex(keccak_256(data))
    expect(hex(k.digest())).toBe(expected)
    for (let split = 0; split <= data.length; split++) {
      k.update(data.subarray(0, split))
      k.update(data.subarray(split))
      expect(hex(k.digest()), `split at ${split}`).toBe(expected)
    }
  })

  it('starts over after digest and after reset', async () => {
    const k = await createKeccakStream()
    const data = new TextEncoder().encode('stratos edge')
    k.update(data)
    const first = hex(k.digest())
    k.update(data)
    expect(hex(k.digest())).toBe(first)
    k.update(new Uint8Array(1000).fill(7))
    k.reset()
    k.update(data)
    expect(hex(k.digest())).toBe(first)
  })

  it('keeps streams apart', async () => {
    const [one, two] = await Promise.all([createKeccakStream(), createKeccakStream()])
    const left = new Uint8Array(500).fill(1)
    const right = new Uint8Array(500).fill(2)
    one.update(left.subarray(0, 200))
    two.update(right.subarray(0, 300))
    one.update(left.subarray(200))
    two.update(right.subarray(300))
    expect(hex(one.digest())).toBe(hex(keccak_256(left)))
    expect(hex(two.digest())).toBe(hex(keccak_256(right)))
  })
})
