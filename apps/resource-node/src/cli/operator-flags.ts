import { readFileSync } from 'node:fs'
import {
  checkOperatorKey,
  InvalidOperatorBindingError,
  parseOwnerSignedBinding,
  signOwnerBinding,
} from '../node/operator-binding-file.js'
import { loadOrCreateNodeEvmKey } from '../node/traffic-key.js'
import type { NodeTrafficInit } from '../node/traffic-node.js'

/** The `--help` lines of the operator flags and commands. */
export const OPERATOR_USAGE = `
Node owner (with --provider-traffic; binds the node's EVM key to its operator's wallet at the meta
service, so traffic between one operator's nodes and wallet is refused as self-dealing; opt-in):
  --operator-binding-file <path>  a binding JSON the operator's wallet signed offline (make it on the
                          operator's machine with sign-operator-binding); the node adds its own signature
  --operator-key-file <path>  the operator's wallet key (one 0x… line) on this server: local demos only,
                          it puts the wallet's key on every node. Not <data dir>/traffic.key (the node's)

Operator commands:
  traffic-address         on the node: print its EVM key address (the "node" of a binding), creating the
                          key in --data-dir if needed
  sign-operator-binding --operator-key-file <path> --node <0x…> --network <chain id>
                          on the operator's own machine: print a binding JSON for --operator-binding-file
                          (or sign the EIP-712 NodeOwnerBinding with any wallet: see the README)
`

/** The operator flags, for `parseArgs`. */
export const OPERATOR_FLAGS = {
  'operator-key-file': { type: 'string' },
  'operator-binding-file': { type: 'string' },
  node: { type: 'string' },
} as const

type OperatorValues = Partial<Record<keyof typeof OPERATOR_FLAGS | 'network', string>>

/** The operator's wallet key for --operator-key-file: the file's one `0x…` key line. */
export function readOperatorKey(path: string): string {
  const keys = readFileSync(path, 'utf8')
    .split('\n')
    .map((line) => line.replace(/#.*/, '').trim())
    .filter(Boolean)
  if (keys.length !== 1 || !/^0x[0-9a-fA-F]{64}$/.test(keys[0] as string))
    throw new Error(`${path}: an operator key file holds one 0x key of 64 hex digits`)
  return keys[0] as string
}

/**
 * The node-owner part of `providerTraffic` from the operator flags, checked before the node starts:
 * the key is a valid one and not the node's own, or the binding names this node and carries the
 * owner's signature. Throws `InvalidOperatorBindingError` (one line) otherwise, or an `Error` for
 * both flags given or an unreadable key file.
 */
export async function operatorInit(
  values: OperatorValues,
  dataDir: string,
): Promise<Pick<NodeTrafficInit, 'operatorKey' | 'operatorBinding'>> {
  const keyFile = values['operator-key-file']
  const bindingFile = values['operator-binding-file']
  if (keyFile && bindingFile) throw new Error('Give --operator-binding-file or --operator-key-file, not both')
  if (!keyFile && !bindingFile) return {}
  const node = (await loadOrCreateNodeEvmKey(dataDir)).evmAddress
  if (bindingFile) {
    const binding = parseOwnerSignedBinding(readFileSync(bindingFile, 'utf8'), node)
    if (values.network && Number(values.network) !== binding.network)
      throw new InvalidOperatorBindingError(
        `operator binding: it is for network ${binding.network}, not --network ${values.network}`,
      )
    return { operatorBinding: binding }
  }
  const operatorKey = readOperatorKey(keyFile as string)
  checkOperatorKey(operatorKey, node)
  return { operatorKey }
}

/** `sign-operator-binding`: the owner's half of a binding as one JSON line, for --operator-binding-file. */
export async function signOperatorBindingCommand(values: OperatorValues): Promise<string> {
  const keyFile = values['operator-key-file']
  const network = Number(values.network)
  if (!keyFile || !values.node || !Number.isSafeInteger(network) || network <= 0)
    throw new Error('sign-operator-binding needs --operator-key-file, --node <0x…> and --network <chain id>')
  return JSON.stringify(await signOwnerBinding({ network, node: values.node }, readOperatorKey(keyFile)))
}
