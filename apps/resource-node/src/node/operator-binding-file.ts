import {
  defineErrorClass,
  type EvmAddress,
  fromHex,
  keyPairFromPrivateKey,
  type NodeOwnerBindingFields,
  nodeOwnerBindingTypedData,
  privateKeySigner,
  recoverTypedDataSigner,
  signatureToBytes,
  toEvmAddress,
  toHex,
} from '@stratos-edge/core'

/**
 * The operator's half of a node-owner binding, signed offline with the operator's wallet (on the
 * operator's own machine): the node adds only its own signature. This is the JSON of
 * `--operator-binding-file`; the owner's key never reaches the server.
 */
export interface OwnerSignedBinding extends NodeOwnerBindingFields {
  /** The owner's EIP-712 signature of {@link nodeOwnerBindingTypedData} (`0x`, 65 bytes). */
  readonly ownerSignature: string
}

/** An operator binding file or key that cannot bind this node; the message says why and what to do. */
export class InvalidOperatorBindingError extends defineErrorClass('InvalidOperatorBindingError') {}

/**
 * Signs the owner's half of a binding of `node` with the operator's wallet key (run on the operator's
 * machine, not on the server). Write the result as JSON for `--operator-binding-file`.
 *
 * @example
 * ```ts
 * const signed = await signOwnerBinding({ network: 137, node: '0x…' }, operatorKey)
 * writeFileSync('binding.json', JSON.stringify(signed))
 * ```
 */
export async function signOwnerBinding(
  init: { readonly network: number; readonly node: string; readonly issuedAt?: number },
  operatorKey: string,
): Promise<OwnerSignedBinding> {
  const owner = privateKeySigner(operatorKey)
  const fields: NodeOwnerBindingFields = {
    network: init.network,
    node: toEvmAddress(init.node),
    owner: toEvmAddress(owner.address),
    issuedAt: init.issuedAt ?? Math.floor(Date.now() / 1000),
  }
  if (fields.node === fields.owner)
    throw new InvalidOperatorBindingError('A node cannot be its own owner: sign with a wallet of its own')
  const signature = signatureToBytes(await owner.signTypedData(nodeOwnerBindingTypedData(fields)))
  return { ...fields, ownerSignature: toHex(signature) }
}

/**
 * Reads an `--operator-binding-file` JSON and checks it binds `node`: the fields are well formed and the
 * owner's signature recovers to `owner`. Throws {@link InvalidOperatorBindingError} with a one-line reason.
 */
export function parseOwnerSignedBinding(json: string, node: EvmAddress): OwnerSignedBinding {
  const fail = (why: string): never => {
    throw new InvalidOperatorBindingError(`operator binding: ${why}`)
  }
  let raw: Record<string, unknown>
  try {
    raw = JSON.parse(json) as Record<string, unknown>
  } catch {
    return fail('not JSON')
  }
  const { network, issuedAt, ownerSignature } = raw
  if (!Number.isSafeInteger(network) || (network as number) <= 0) fail('"network" is a positive chain id')
  if (!Number.isSafeInteger(issuedAt) || (issuedAt as number) < 0) fail('"issuedAt" is unix seconds')
  if (typeof ownerSignature !== 'string' || !/^0x[0-9a-fA-F]{130}$/.test(ownerSignature))
    fail('"ownerSignature" is 0x and 130 hex digits')
  let fields: NodeOwnerBindingFields
  try {
    fields = {
      network: network as number,
      node: toEvmAddress(String(raw.node)),
      owner: toEvmAddress(String(raw.owner)),
      issuedAt: issuedAt as number,
    }
  } catch {
    return fail('"node" and "owner" are 0x addresses')
  }
  if (fields.node !== node)
    fail(`it names node ${fields.node}, but this node's traffic key is ${node}: sign one for this node`)
  if (fields.owner === node) fail('a node cannot be its own owner')
  let signer: EvmAddress | undefined
  try {
    signer = recoverTypedDataSigner(nodeOwnerBindingTypedData(fields), fromHex(ownerSignature as string))
  } catch {
    signer = undefined
  }
  if (signer !== fields.owner) fail(`"ownerSignature" is not ${fields.owner}'s signature of these fields`)
  return { ...fields, ownerSignature: ownerSignature as string }
}

/**
 * Checks an `--operator-key-file` key can bind `node`: a valid secp256k1 key that is not the node's own.
 * Throws {@link InvalidOperatorBindingError} with a one-line reason.
 */
export function checkOperatorKey(operatorKey: string, node: EvmAddress): void {
  let owner: EvmAddress
  try {
    owner = keyPairFromPrivateKey(operatorKey).evmAddress
  } catch {
    throw new InvalidOperatorBindingError(
      'operator key: not a valid secp256k1 private key (zero or out of range)',
    )
  }
  if (owner === node)
    throw new InvalidOperatorBindingError(
      "operator key: it is this node's own traffic key; use the operator's wallet key",
    )
}
