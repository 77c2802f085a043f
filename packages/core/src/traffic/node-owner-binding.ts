import { BinaryReader, BinaryWriter } from '../encoding/binary.js'
import { InvalidArgumentError, UnsupportedVersionError } from '../errors.js'
import { addressToBytes, type EvmAddress, toChecksumAddress, toEvmAddress } from '../keys/address.js'
import { networkDomain } from '../signatures/domain.js'
import { type SignatureBytes, signatureToBytes } from '../signatures/ecdsa.js'
import { recoverTypedDataSigner, type TypedData } from '../signatures/typed-data.js'
import type { TypedDataSigner } from '../signatures/typed-data-signer.js'

const BINDING_MAGIC = Uint8Array.from([0x53, 0x45, 0x4f, 0x42]) // "SEOB"
const BINDING_VERSION = 1
/** Encoded size of a node-owner binding. */
export const NODE_OWNER_BINDING_BYTES = 4 + 1 + 8 + 20 + 20 + 8 + 65 + 65

/**
 * "This node is mine": the owner's wallet names a node address (a light node's or resource node's
 * traffic key), and the node agrees. The meta service keeps bindings for good and judges self-dealing by
 * them: a receipt whose downloader and provider share an owner pays nothing. Both sign, so nobody can
 * bind another's node (or bind their node to a stranger's wallet) without its key.
 */
export interface NodeOwnerBindingFields {
  /** The network id (chain id of the EIP-712 domain). */
  readonly network: number
  /** The node's address: what its receipts name as downloader or provider. */
  readonly node: EvmAddress
  /** The owner's wallet. */
  readonly owner: EvmAddress
  /** Unix seconds when it was signed (informative: a binding never expires). */
  readonly issuedAt: number
}

/** A binding signed by the owner and by the node. */
export interface NodeOwnerBinding extends NodeOwnerBindingFields {
  readonly ownerSignature: SignatureBytes
  readonly nodeSignature: SignatureBytes
}

/** The EIP-712 form of a binding: what the owner's wallet and the node's key each sign. */
export function nodeOwnerBindingTypedData(b: NodeOwnerBindingFields): TypedData {
  return {
    domain: networkDomain(b.network),
    types: {
      NodeOwnerBinding: [
        { name: 'node', type: 'address' },
        { name: 'owner', type: 'address' },
        { name: 'issuedAt', type: 'uint64' },
      ],
    },
    primaryType: 'NodeOwnerBinding',
    message: { node: b.node, owner: b.owner, issuedAt: b.issuedAt },
  }
}

/**
 * Signs a binding of `node` to `owner` with both their signers (a wallet across comlink, a node key).
 *
 * @example
 * ```ts
 * const binding = await signNodeOwnerBinding({ network: 137 }, { owner: wallet, node: privateKeySigner(nodeKey) })
 * await index.registerNodeOwner(encodeNodeOwnerBinding(binding))
 * ```
 */
export async function signNodeOwnerBinding(
  init: { readonly network: number; readonly issuedAt?: number },
  signers: { readonly owner: TypedDataSigner; readonly node: TypedDataSigner },
): Promise<NodeOwnerBinding> {
  const fields: NodeOwnerBindingFields = {
    network: init.network,
    node: toEvmAddress(signers.node.address),
    owner: toEvmAddress(signers.owner.address),
    issuedAt: init.issuedAt ?? Math.floor(Date.now() / 1000),
  }
  if (fields.node === fields.owner)
    throw new InvalidArgumentError('A node cannot be its own owner', 'Bind the node to a wallet of its own')
  const data = nodeOwnerBindingTypedData(fields)
  const ownerSignature = signatureToBytes(await signers.owner.signTypedData(data))
  const nodeSignature = signatureToBytes(await signers.node.signTypedData(data))
  return { ...fields, ownerSignature, nodeSignature }
}

/**
 * Whether both signatures are right: the owner's recovers to `owner` and the node's to `node`.
 * Never throws (a malformed signature is just not right).
 */
export function nodeOwnerBindingSigned(b: NodeOwnerBinding): boolean {
  try {
    const data = nodeOwnerBindingTypedData(b)
    return (
      recoverTypedDataSigner(data, b.ownerSignature) === toEvmAddress(b.owner) &&
      recoverTypedDataSigner(data, b.nodeSignature) === toEvmAddress(b.node)
    )
  } catch {
    return false
  }
}

/** Binary encoding: {@link NODE_OWNER_BINDING_BYTES} bytes. */
export function encodeNodeOwnerBinding(b: NodeOwnerBinding): Uint8Array {
  return new BinaryWriter()
    .fixed(BINDING_MAGIC)
    .u8(BINDING_VERSION)
    .u64(b.network)
    .fixed(addressToBytes(b.node))
    .fixed(addressToBytes(b.owner))
    .u64(b.issuedAt)
    .fixed(b.ownerSignature)
    .fixed(b.nodeSignature)
    .finish()
}

/** Decodes a binding (signatures not checked); throws DecodeError on garbage. */
export function decodeNodeOwnerBinding(bytes: Uint8Array): NodeOwnerBinding {
  const r = new BinaryReader(bytes, 'node-owner binding')
  if (bytes.length !== NODE_OWNER_BINDING_BYTES)
    r.fail(`expected ${NODE_OWNER_BINDING_BYTES} bytes, got ${bytes.length}`)
  r.magic(BINDING_MAGIC)
  const version = r.u8()
  if (version !== BINDING_VERSION)
    throw new UnsupportedVersionError(`Node-owner binding version ${version} is not supported`)
  const network = r.safeU64('network')
  const node = toChecksumAddress(r.fixed(20))
  const owner = toChecksumAddress(r.fixed(20))
  const issuedAt = r.safeU64('issuedAt')
  const ownerSignature = r.fixed(65)
  const nodeSignature = r.fixed(65)
  r.end()
  return { network, node, owner, issuedAt, ownerSignature, nodeSignature }
}
