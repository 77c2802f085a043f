import { concatBytes, fromHex, uint256Word, utf8 } from '../encoding/bytes.js'
import { InvalidArgumentError } from '../errors.js'
import { keccak256 } from '../ids/keccak.js'
import { addressToBytes, type EvmAddress } from '../keys/address.js'
import { recoverAddress, type SignatureBytes, signDigest } from './ecdsa.js'

/** One field of an EIP-712 struct type. */
export interface TypedDataField {
  readonly name: string
  readonly type: string
}

/** EIP-712 domain; only the fields present are part of the domain type. */
export interface TypedDataDomain {
  name?: string
  version?: string
  chainId?: number | bigint
  verifyingContract?: string
  salt?: Uint8Array | string
}

/** Struct definitions by name, without `EIP712Domain` (ethers' and viem's shape). */
export type TypedDataTypes = Readonly<Record<string, readonly TypedDataField[]>>

/**
 * A complete typed-data request. `domain`, `types` and `message` can be passed unchanged to ethers'
 * `signer.signTypedData(domain, types, message)`; for `eth_signTypedData_v4` see {@link toEip1193TypedData}.
 */
export interface TypedData {
  readonly domain: TypedDataDomain
  readonly types: TypedDataTypes
  readonly primaryType: string
  readonly message: Readonly<Record<string, unknown>>
}

const DOMAIN_FIELDS: readonly TypedDataField[] = [
  { name: 'name', type: 'string' },
  { name: 'version', type: 'string' },
  { name: 'chainId', type: 'uint256' },
  { name: 'verifyingContract', type: 'address' },
  { name: 'salt', type: 'bytes32' },
]

function domainFields(domain: TypedDataDomain): TypedDataField[] {
  return DOMAIN_FIELDS.filter((f) => domain[f.name as keyof TypedDataDomain] !== undefined)
}

function referencedTypes(primary: string, types: TypedDataTypes, found = new Set<string>()): Set<string> {
  if (found.has(primary) || !types[primary]) return found
  found.add(primary)
  for (const field of types[primary]) referencedTypes(field.type.replace(/\[\d*\]$/, ''), types, found)
  return found
}

/** `encodeType` of EIP-712: the primary type then its dependencies sorted by name. */
export function encodeType(primary: string, types: TypedDataTypes): string {
  const deps = [...referencedTypes(primary, types)].filter((t) => t !== primary).sort()
  return [primary, ...deps]
    .map((t) => `${t}(${(types[t] ?? []).map((f) => `${f.type} ${f.name}`).join(',')})`)
    .join('')
}

function encodeValue(type: string, value: unknown, types: TypedDataTypes): Uint8Array {
  if (types[type]) return hashStruct(type, value as Record<string, unknown>, types)
  if (type === 'string') return keccak256(utf8(String(value)))
  if (type === 'bytes') return keccak256(typeof value === 'string' ? fromHex(value) : (value as Uint8Array))
  if (type === 'bool') return uint256Word(value ? 1n : 0n)
  if (type === 'address') {
    const out = new Uint8Array(32)
    out.set(addressToBytes(String(value)), 12)
    return out
  }
  const uint = /^uint(\d+)$/.exec(type)
  if (uint) {
    const bits = BigInt(uint[1] as string)
    let v: bigint
    try {
      v = BigInt(value as bigint | number | string)
    } catch (cause) {
      throw new InvalidArgumentError(
        `${String(value)} is not a whole number for ${type}`,
        'Pass an integer or bigint',
        {
          cause,
        },
      )
    }
    if (v < 0n || v >= 1n << bits) throw new InvalidArgumentError(`${String(value)} does not fit ${type}`)
    return uint256Word(v)
  }
  const fixed = /^bytes(\d+)$/.exec(type)
  if (fixed) {
    const n = Number(fixed[1])
    const bytes = typeof value === 'string' ? fromHex(value) : (value as Uint8Array)
    if (bytes.length !== n) throw new InvalidArgumentError(`${type} needs ${n} bytes, got ${bytes.length}`)
    const out = new Uint8Array(32)
    out.set(bytes)
    return out
  }
  const array = /^(.*)\[\]$/.exec(type)
  if (array) {
    const items = value as readonly unknown[]
    return keccak256(concatBytes(...items.map((item) => encodeValue(array[1] as string, item, types))))
  }
  throw new InvalidArgumentError(
    `Unsupported EIP-712 type ${type}`,
    'Use address, bool, string, bytes, bytesN, uintN, structs or arrays',
  )
}

/** `hashStruct` of EIP-712. */
export function hashStruct(
  primary: string,
  message: Readonly<Record<string, unknown>>,
  types: TypedDataTypes,
): Uint8Array {
  const fields = types[primary]
  if (!fields) throw new InvalidArgumentError(`Unknown EIP-712 type ${primary}`)
  const parts = [keccak256(utf8(encodeType(primary, types)))]
  for (const field of fields) {
    if (message[field.name] === undefined)
      throw new InvalidArgumentError(`Missing field ${primary}.${field.name}`)
    parts.push(encodeValue(field.type, message[field.name], types))
  }
  return keccak256(concatBytes(...parts))
}

/** The EIP-712 domain separator. */
export function hashDomain(domain: TypedDataDomain): Uint8Array {
  return hashStruct('EIP712Domain', domain as Record<string, unknown>, { EIP712Domain: domainFields(domain) })
}

/**
 * The EIP-712 digest `keccak256(0x1901 ‖ domainSeparator ‖ hashStruct(message))`, equal to ethers'
 * `TypedDataEncoder.hash(domain, types, message)`.
 */
export function hashTypedData(data: TypedData): Uint8Array {
  return keccak256(
    concatBytes(
      Uint8Array.of(0x19, 0x01),
      hashDomain(data.domain),
      hashStruct(data.primaryType, data.message, data.types),
    ),
  )
}

/** Signs typed data with a private key (what a wallet does for `eth_signTypedData_v4`). */
export function signTypedData(data: TypedData, privateKey: Uint8Array): SignatureBytes {
  return signDigest(hashTypedData(data), privateKey)
}

/** The signer of typed data; throws InvalidSignatureError when malformed. */
export function recoverTypedDataSigner(data: TypedData, signature: Uint8Array | string): EvmAddress {
  return recoverAddress(hashTypedData(data), signature)
}

/**
 * The JSON object `eth_signTypedData_v4` takes from an EIP-1193 wallet: adds `EIP712Domain` to the
 * types and turns bigints into decimal strings and bytes into hex.
 */
export function toEip1193TypedData(data: TypedData): string {
  return JSON.stringify(
    {
      domain: data.domain,
      types: { EIP712Domain: domainFields(data.domain), ...data.types },
      primaryType: data.primaryType,
      message: data.message,
    },
    (_key, value) => {
      if (typeof value === 'bigint') return value.toString()
      if (value instanceof Uint8Array)
        return `0x${[...value].map((b) => b.toString(16).padStart(2, '0')).join('')}`
      return value
    },
  )
}
