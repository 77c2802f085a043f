/** An EIP-1193 wallet stand-in for Node tests: signs `eth_signTypedData_v4` with a key it holds. */
import {
  type Eip1193Provider,
  type KeyPair,
  signTypedData,
  type TypedData,
  toEvmAddress,
} from '@stratos-edge/core'

/**
 * A wallet on the page with one account; `refuse` plays the user pressing "Reject", `hang` a wallet that
 * never answers. `asked` records every request, in order.
 */
export function injectedWallet(key: KeyPair, behaviour: { refuse?: boolean; hang?: boolean } = {}) {
  const asked: { method: string; params?: readonly unknown[] }[] = []
  const provider: Eip1193Provider = {
    async request(args) {
      asked.push(args)
      if (args.method === 'eth_accounts') return [key.evmAddress]
      if (args.method !== 'eth_signTypedData_v4') throw new Error(`unexpected ${args.method}`)
      if (behaviour.hang) return new Promise(() => {})
      if (behaviour.refuse) throw Object.assign(new Error('User rejected the request.'), { code: 4001 })
      const [account, json] = args.params as [string, string]
      if (toEvmAddress(account) !== key.evmAddress) throw new Error('unknown account')
      const { types, ...rest } = JSON.parse(json) as TypedData
      const { EIP712Domain: _domain, ...structs } = types
      return `0x${Buffer.from(signTypedData({ ...rest, types: structs }, key.privateKey)).toString('hex')}`
    },
  }
  return { provider, asked }
}
