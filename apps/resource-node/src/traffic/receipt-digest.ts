// The EIP-712 digest of a traffic receipt, equal to core's `hashTypedData(receiptTypedData(r))`, computed
// with core's WebAssembly keccak (about 8 times the JavaScript one on small inputs) and with the domain
// separator and type hash kept: after native recovery, hashing was most of a verifier thread's work.
import {
  addressToBytes,
  createKeccakStream,
  encodeType,
  fromHex,
  hashDomain,
  type KeccakStream,
  networkDomain,
  receiptTypedData,
  type TrafficReceipt,
} from '@stratos-edge/core'

const UINT64_LIMIT = 1n << 64n
const utf8 = new TextEncoder()

/** Hashes receipts and checks addresses; one per thread (it owns a keccak instance). */
export interface ReceiptDigester {
  /** `hashTypedData(receiptTypedData(r))`; throws where core's throws (a field out of range or malformed). */
  digest(r: TrafficReceipt): Uint8Array
  /** core's `addressToBytes`: 20 bytes; throws on a malformed address or a broken EIP-55 checksum. */
  addressBytes(address: string): Uint8Array
  /** Keccak-256 of `data` (in WebAssembly). */
  keccak(data: Uint8Array): Uint8Array
}

/**
 * Creates a receipt digester.
 *
 * @example
 * ```ts
 * const digester = await createReceiptDigester()
 * const signer = recovery.recover(digester.digest(receipt), receipt.signature)
 * ```
 */
export async function createReceiptDigester(): Promise<ReceiptDigester> {
  const stream: KeccakStream = await createKeccakStream()
  const keccak = (data: Uint8Array): Uint8Array => {
    stream.update(data)
    return stream.digest()
  }
  const domains = new Map<number, Uint8Array>()
  let typeHash: Uint8Array | undefined
  // typeHash ‖ epoch ‖ provider ‖ keccak(fileHash) ‖ keccak(sliceHash) ‖ bytes ‖ ticketId ‖ nonce
  const struct = new Uint8Array(8 * 32)
  // 0x1901 ‖ domain separator ‖ struct hash
  const outer = new Uint8Array(2 + 64)
  outer.set([0x19, 0x01])

  function addressBytes(address: string): Uint8Array {
    if (typeof address !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(address)) return addressToBytes(address)
    const hex = address.slice(2)
    const lower = hex.toLowerCase()
    if (hex !== lower && hex !== hex.toUpperCase()) {
      // EIP-55: a letter is upper case exactly where its nibble of keccak(lower-case hex) is 8 or more.
      const hash = keccak(utf8.encode(lower))
      for (let i = 0; i < 40; i++) {
        const nibble = ((hash[i >> 1] as number) >> (i % 2 === 0 ? 4 : 0)) & 0xf
        const expected = nibble >= 8 ? (lower[i] as string).toUpperCase() : lower[i]
        if (hex[i] !== expected) return addressToBytes(address) // throws the checksum error
      }
    }
    return fromHex(address)
  }

  function uint64(value: unknown, at: number): void {
    const v = BigInt(value as bigint | number)
    if (v < 0n || v >= UINT64_LIMIT) throw new RangeError(`${v} does not fit uint64`)
    const view = new DataView(struct.buffer, at, 32)
    view.setBigUint64(0, 0n)
    view.setBigUint64(8, 0n)
    view.setBigUint64(16, 0n)
    view.setBigUint64(24, v)
  }

  function domainOf(network: number): Uint8Array {
    let d = domains.get(network)
    if (!d) {
      d = hashDomain(networkDomain(network))
      domains.set(network, d)
    }
    return d
  }

  return {
    keccak,
    addressBytes,
    digest(r) {
      if (!typeHash) {
        typeHash = keccak(utf8.encode(encodeType('TrafficReceipt', receiptTypedData(r).types)))
      }
      struct.set(typeHash, 0)
      uint64(r.epoch, 32)
      struct.fill(0, 64, 76)
      struct.set(addressBytes(r.provider), 76)
      if (r.fileHash === undefined || r.sliceHash === undefined) throw new TypeError('Missing hash field')
      struct.set(keccak(utf8.encode(String(r.fileHash))), 96)
      struct.set(keccak(utf8.encode(String(r.sliceHash))), 128)
      uint64(r.bytes, 160)
      const ticketId: Uint8Array = typeof r.ticketId === 'string' ? fromHex(r.ticketId) : r.ticketId
      if (ticketId.length !== 32) throw new RangeError(`bytes32 needs 32 bytes, got ${ticketId.length}`)
      struct.set(ticketId, 192)
      uint64(r.nonce, 224)
      outer.set(domainOf(r.network), 2)
      outer.set(keccak(struct), 34)
      return keccak(outer)
    },
  }
}
