// The native signer recovery (libsecp256k1) gives core's `recoverAddress` answers: the same signer for
// every valid signature, and a refusal for each signature core refuses (high s, bad v, r or s out of
// range, no point on the curve).
import { fromHex, keyPairFromPrivateKey, recoverAddress, signDigest } from '@stratos-edge/core'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createSignerRecovery } from '../src/traffic/index.js'

const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n

const native = createSignerRecovery()
const javascript = createSignerRecovery({ forceJavaScript: true })

/** Core's answer: the signer's 20 bytes, or undefined where `recoverAddress` throws. */
function coreAnswer(digest: Uint8Array, signature: Uint8Array): Uint8Array | undefined {
  try {
    return fromHex(recoverAddress(digest, signature))
  } catch {
    return undefined
  }
}

function word(n: bigint): Uint8Array {
  return fromHex(`0x${n.toString(16).padStart(64, '0')}`)
}

function withS(signature: Uint8Array, s: bigint, v?: number): Uint8Array {
  const out = signature.slice()
  out.set(word(s), 32)
  if (v !== undefined) out[64] = v
  return out
}

const privateKey = fc.bigInt(1n, N - 1n).map(word)
const digest = fc.uint8Array({ minLength: 32, maxLength: 32 })

describe('signer recovery', () => {
  it('loads the native secp256k1 addon on this machine', () => {
    expect(native.native).toBe(true)
    expect(javascript.native).toBe(false)
  })

  it('recovers the signer of any digest by any key, as core does', () => {
    fc.assert(
      fc.property(privateKey, digest, (key, d) => {
        const keys = keyPairFromPrivateKey(key)
        const sig = signDigest(d, key)
        const expected = fromHex(keys.evmAddress)
        expect(native.recover(d, sig)).toEqual(expected)
        expect(javascript.recover(d, sig)).toEqual(expected)
        // v as 0/1, as some signers give it.
        const zeroBased = sig.slice()
        zeroBased[64] = (sig[64] as number) - 27
        expect(native.recover(d, zeroBased)).toEqual(expected)
      }),
      { numRuns: 300 },
    )
  })

  it('refuses the high-s twin of a valid signature, as core does', () => {
    fc.assert(
      fc.property(privateKey, digest, (key, d) => {
        const sig = signDigest(d, key)
        const s = BigInt(`0x${Buffer.from(sig.subarray(32, 64)).toString('hex')}`)
        // (r, n - s) with the other v is the same signature, mathematically: malleable, so refused.
        const twin = withS(sig, N - s, (sig[64] as number) === 27 ? 28 : 27)
        expect(coreAnswer(d, twin)).toBeUndefined()
        expect(native.recover(d, twin)).toBeUndefined()
      }),
      { numRuns: 100 },
    )
  })

  it('answers like core on arbitrary bytes and out-of-range r and s', () => {
    const v = fc.constantFrom(0, 1, 2, 26, 27, 28, 29, 255)
    const edge = fc.constantFrom(0n, 1n, N / 2n, N / 2n + 1n, N - 1n, N, N + 1n, 2n ** 256n - 1n)
    const signature = fc.oneof(
      fc.tuple(fc.uint8Array({ minLength: 64, maxLength: 64 }), v).map(([rs, b]) => Uint8Array.of(...rs, b)),
      fc
        .tuple(edge, fc.oneof(edge, fc.bigInt(1n, N / 2n)), v)
        .map(([r, s, b]) => Uint8Array.of(...word(r), ...word(s), b)),
      fc.tuple(privateKey, digest, edge).map(([key, d, r]) => {
        const sig = signDigest(d, key)
        sig.set(word(r), 0)
        return sig
      }),
      fc.uint8Array({ minLength: 0, maxLength: 70 }),
    )
    fc.assert(
      fc.property(digest, signature, (d, sig) => {
        const expected = coreAnswer(d, sig)
        expect(native.recover(d, sig)).toEqual(expected)
        expect(javascript.recover(d, sig)).toEqual(expected)
      }),
      { numRuns: 1000 },
    )
  })
})
