// Recovers who signed a digest with libsecp256k1 (the npm package `secp256k1`, a native addon shipped
// prebuilt in the package) when it loads, else with core's JavaScript `recoverAddress`. Recovery is the
// cost of Proof of Traffic settlement: the native one is many times faster.
import { createRequire } from 'node:module'
import { fromHex, keccak256, recoverAddress, signatureToBytes } from '@stratos-edge/core'

/** The order n of secp256k1's group, halved: an `s` above it is the malleable twin of a valid one. */
const HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n

/** The part of the `secp256k1` package's native API used here. */
interface NativeSecp256k1 {
  ecdsaRecover(
    sig: Uint8Array,
    recid: number,
    msg32: Uint8Array,
    compressed: boolean,
    out?: Uint8Array,
  ): Uint8Array
}

/** Recovers signers' addresses; one per thread (the native context is not shared). */
export interface SignerRecovery {
  /** Whether libsecp256k1 does the work (false: the JavaScript fallback). */
  readonly native: boolean
  /**
   * The 20 address bytes that signed the 32-byte `digest` with the 65-byte `r ‖ s ‖ v` signature, or
   * undefined when core's `recoverAddress` would throw (bad length or recovery byte, high s, no point).
   */
  recover(digest: Uint8Array, signature: Uint8Array): Uint8Array | undefined
}

/** Options of {@link createSignerRecovery}. */
export interface SignerRecoveryInit {
  /** Use the JavaScript path even when the native addon loads (tests compare the two). */
  readonly forceJavaScript?: boolean
  /** Keccak-256 for the public key's address (core's JavaScript one by default). */
  readonly keccak?: (data: Uint8Array) => Uint8Array
}

function loadNative(): NativeSecp256k1 | undefined {
  try {
    // `secp256k1/bindings` throws when no native build loads (the package's own main would then fall back
    // to `elliptic`, slower than core's noble): we want to know, and fall back to noble instead.
    return createRequire(import.meta.url)('secp256k1/bindings') as NativeSecp256k1
  } catch {
    return undefined
  }
}

function javascriptRecover(digest: Uint8Array, signature: Uint8Array): Uint8Array | undefined {
  try {
    return fromHex(recoverAddress(digest, signature))
  } catch {
    return undefined
  }
}

/**
 * Creates a signer recovery: native when the `secp256k1` addon loads, JavaScript otherwise. Both give
 * core's `recoverAddress` answers: v is 27/28 (or 0/1), high-s signatures and points off the curve are
 * refused.
 *
 * @example
 * ```ts
 * const recovery = createSignerRecovery()
 * const signer = recovery.recover(hashTypedData(receiptTypedData(r)), r.signature) // 20 bytes or undefined
 * ```
 */
export function createSignerRecovery(init: SignerRecoveryInit = {}): SignerRecovery {
  const native = init.forceJavaScript ? undefined : loadNative()
  if (!native) return { native: false, recover: javascriptRecover }
  const publicKey = new Uint8Array(65)
  const keccak = init.keccak ?? keccak256
  return {
    native: true,
    recover(digest, signature) {
      let sig: Uint8Array
      try {
        sig = signatureToBytes(signature)
      } catch {
        return undefined
      }
      if (digest.length !== 32) return undefined
      // libsecp256k1 recovers from high-s signatures too; core refuses them (EIP-2).
      let s = 0n
      for (let i = 32; i < 64; i++) s = (s << 8n) | BigInt(sig[i] as number)
      if (s > HALF_N) return undefined
      try {
        native.ecdsaRecover(sig.subarray(0, 64), (sig[64] as number) - 27, digest, false, publicKey)
      } catch {
        return undefined
      }
      return keccak(publicKey.subarray(1)).slice(12)
    },
  }
}
