// The verifier threads' receipt digest (WebAssembly keccak, kept domain and type hashes) equals core's
// EIP-712 digest for any receipt, refuses what core refuses, and parses addresses as core does.
import {
  addressToBytes,
  computeFileHash,
  computeSliceHash,
  type FileHash,
  fromHex,
  hashTypedData,
  receiptTypedData,
  type TrafficReceipt,
  toChecksumAddress,
  toHex,
} from '@stratos-edge/core'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createReceiptDigester } from '../src/traffic/index.js'

const digester = await createReceiptDigester()

/** Core's answer, or 'throws'. */
function attempt<T>(fn: () => T): T | 'throws' {
  try {
    return fn()
  } catch {
    return 'throws'
  }
}

const address = fc
  .tuple(fc.uint8Array({ minLength: 20, maxLength: 20 }), fc.constantFrom('checksum', 'lower', 'upper'))
  .map(([bytes, form]) => {
    const a = toChecksumAddress(bytes)
    if (form === 'lower') return a.toLowerCase()
    return form === 'upper' ? `0x${a.slice(2).toUpperCase()}` : a
  })
const fileHash = fc.uint8Array({ maxLength: 40 }).map((data) => computeFileHash(data))

const receipt = fc
  .record({
    network: fc.integer({ min: 1, max: 2 ** 31 }),
    epoch: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
    provider: address,
    fileHash,
    slice: fc.tuple(fc.integer({ min: 1, max: 1000 }), fc.uint8Array({ maxLength: 16 })),
    bytes: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
    ticketId: fc.uint8Array({ minLength: 32, maxLength: 32 }).map(toHex),
    nonce: fc.bigInt(0n, (1n << 64n) - 1n),
    downloader: address,
  })
  .map(
    ({ slice, fileHash: f, ...rest }) =>
      ({
        ...rest,
        fileHash: f as FileHash,
        sliceHash: computeSliceHash(slice[0], slice[1], f),
        signature: new Uint8Array(65),
      }) as unknown as TrafficReceipt,
  )

describe('receipt digest', () => {
  it("equals core's EIP-712 digest", () => {
    fc.assert(
      fc.property(receipt, (r) => {
        expect(digester.digest(r)).toEqual(hashTypedData(receiptTypedData(r)))
      }),
      { numRuns: 300 },
    )
  })

  it('refuses the receipts core refuses', () => {
    const broken = fc.tuple(
      receipt,
      fc.constantFrom<[string, unknown][]>(
        [['nonce', 1n << 64n]],
        [['nonce', -1n]],
        [['epoch', -1]],
        [['bytes', 1.5]],
        [['ticketId', '0x1234']],
        [['ticketId', 'not hex']],
        [['provider', 'st1notanaddress']],
        [['provider', '0x123']],
        [['fileHash', undefined]],
      ),
    )
    fc.assert(
      fc.property(broken, ([r, changes]) => {
        const bad = { ...r, ...Object.fromEntries(changes) } as TrafficReceipt
        expect(attempt(() => hashTypedData(receiptTypedData(bad)))).toBe('throws')
        expect(attempt(() => digester.digest(bad))).toBe('throws')
      }),
      { numRuns: 100 },
    )
  })

  it('parses addresses as core does, broken checksums included', () => {
    const mangled = fc.tuple(address, fc.array(fc.nat(39), { maxLength: 3 })).map(([a, flips]) => {
      const chars = [...a]
      for (const i of flips) {
        const c = chars[i + 2] as string
        chars[i + 2] = c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()
      }
      return chars.join('')
    })
    fc.assert(
      fc.property(mangled, (a) => {
        expect(attempt(() => digester.addressBytes(a))).toEqual(attempt(() => addressToBytes(a)))
      }),
      { numRuns: 500 },
    )
    const st1 = 'st1rfjz7r3u8t65teavh5utquj3kwvsj983l3hnfd'
    expect(digester.addressBytes(st1)).toEqual(fromHex('0x1a642f0e3c3af545e7acbd38b07251b3990914f1'))
  })
})
