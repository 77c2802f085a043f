import { bech32 } from '@scure/base'
import { fromHex, toHex } from '../encoding/bytes.js'
import { InvalidAddressError } from '../errors.js'
import { keccak256 } from '../ids/keccak.js'

/** Bech32 prefix of Stratos account addresses. */
export const STRATOS_ADDRESS_PREFIX = 'st'

/** A Stratos account address, `st1…` (bech32 of the same 20 bytes as the Ethereum address). */
export type StratosAddress = string & { readonly __brand: 'StratosAddress' }
/** An Ethereum/Polygon address, `0x…`, EIP-55 checksummed when produced here. */
export type EvmAddress = `0x${string}`

function invalid(input: unknown, why: string): never {
  throw new InvalidAddressError(
    `Invalid address ${JSON.stringify(String(input).slice(0, 64))}: ${why}`,
    'Use an st1… Stratos address or a 0x… address of 40 hex digits',
  )
}

/** The 20 address bytes from an `st1…` or `0x…` address. Throws InvalidAddressError. */
export function addressToBytes(address: string): Uint8Array {
  if (typeof address !== 'string') invalid(address, 'not a string')
  if (/^0x[0-9a-fA-F]{40}$/.test(address)) {
    const bytes = fromHex(address)
    const mixedCase =
      address.slice(2) !== address.slice(2).toLowerCase() &&
      address.slice(2) !== address.slice(2).toUpperCase()
    if (mixedCase && toChecksumAddress(bytes) !== address) invalid(address, 'EIP-55 checksum mismatch')
    return bytes
  }
  if (address.startsWith(`${STRATOS_ADDRESS_PREFIX}1`)) {
    let decoded: { prefix: string; words: number[] }
    try {
      decoded = bech32.decode(address as `${string}1${string}`, 90)
    } catch (cause) {
      throw new InvalidAddressError(`Invalid st1 address: ${(cause as Error).message}`, 'Check for typos', {
        cause,
      })
    }
    if (decoded.prefix !== STRATOS_ADDRESS_PREFIX) invalid(address, `prefix ${decoded.prefix}`)
    const bytes = bech32.fromWordsUnsafe(decoded.words)
    if (bytes?.length !== 20) invalid(address, 'payload is not 20 bytes')
    return Uint8Array.from(bytes)
  }
  return invalid(address, 'neither st1… nor 0x…')
}

/** EIP-55 checksummed `0x…` form of 20 address bytes. */
export function toChecksumAddress(bytes: Uint8Array): EvmAddress {
  if (bytes.length !== 20) invalid(toHex(bytes), 'not 20 bytes')
  const hex = toHex(bytes).slice(2)
  const hash = keccak256(new TextEncoder().encode(hex))
  let out = '0x'
  for (let i = 0; i < 40; i++) {
    const nibble = ((hash[i >> 1] as number) >> (i % 2 === 0 ? 4 : 0)) & 0xf
    out += nibble >= 8 ? (hex[i] as string).toUpperCase() : hex[i]
  }
  return out as EvmAddress
}

/**
 * Converts any address to its `st1…` form.
 *
 * @example
 * ```ts
 * toStratosAddress('0x1a642f0e3c3af545e7acbd38b07251b3990914f1')
 * // 'st1rfjz7r3u8t65teavh5utquj3kwvsj983l3hnfd'
 * ```
 */
export function toStratosAddress(address: string | Uint8Array): StratosAddress {
  const bytes = typeof address === 'string' ? addressToBytes(address) : address
  if (bytes.length !== 20) invalid(toHex(bytes), 'not 20 bytes')
  return bech32.encode(STRATOS_ADDRESS_PREFIX, bech32.toWords(bytes)) as StratosAddress
}

/**
 * Valid address strings already converted by {@link toEvmAddress}. Each conversion costs two Keccaks; a
 * meta service converts the same few thousand accounts for every receipt it settles. Bounded: cleared
 * when full. Invalid inputs throw and are never kept.
 */
const checksummed = new Map<string, EvmAddress>()
const CHECKSUMMED_MAX = 65_536

/**
 * Converts any address to its checksummed `0x…` form.
 *
 * @example
 * ```ts
 * toEvmAddress('st1rfjz7r3u8t65teavh5utquj3kwvsj983l3hnfd') // '0x1A642f0E3c3aF545E7AcBD38b07251B3990914F1'
 * ```
 */
export function toEvmAddress(address: string | Uint8Array): EvmAddress {
  if (typeof address !== 'string') return toChecksumAddress(address)
  const known = checksummed.get(address)
  if (known) return known
  const out = toChecksumAddress(addressToBytes(address))
  if (checksummed.size >= CHECKSUMMED_MAX) checksummed.clear()
  checksummed.set(address, out)
  return out
}

/** True when two addresses (in any form) name the same account. */
export function sameAddress(a: string, b: string): boolean {
  return toEvmAddress(a) === toEvmAddress(b)
}

/** True when `text` is a valid `st1…` or `0x…` address. */
export function isAddress(text: unknown): boolean {
  try {
    addressToBytes(text as string)
    return true
  } catch {
    return false
  }
}
