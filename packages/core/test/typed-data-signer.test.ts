import { describe, expect, it } from 'vitest'
import {
  eip1193Signer,
  keyPairFromPrivateKey,
  privateKeySigner,
  recoverTypedDataSigner,
  signatureToBytes,
  signTypedData,
  type TypedData,
} from '../src/index.js'

const data: TypedData = {
  domain: { name: 'Stratos Edge', version: '1', chainId: 137 },
  types: { Note: [{ name: 'text', type: 'string' }] },
  primaryType: 'Note',
  message: { text: 'hello stratos' },
}
const key = `0x${'01'.repeat(32)}`

describe('typed-data signers', () => {
  it('a private-key signer signs as its address', async () => {
    const signer = privateKeySigner(key)
    expect(signer.address).toBe('0x1a642f0E3c3aF545E7AcBD38b07251B3990914F1')
    const signature = signatureToBytes(await signer.signTypedData(data))
    expect(recoverTypedDataSigner(data, signature)).toBe(signer.address)
  })

  it('an EIP-1193 signer sends eth_signTypedData_v4 with the account and the JSON data', async () => {
    const pair = keyPairFromPrivateKey(key)
    const calls: { method: string; params?: readonly unknown[] }[] = []
    const provider = {
      async request(args: { method: string; params?: readonly unknown[] }) {
        calls.push(args)
        const json = JSON.parse(args.params?.[1] as string)
        expect(json.types.EIP712Domain).toBeDefined()
        return `0x${Buffer.from(signTypedData(data, pair.privateKey)).toString('hex')}`
      },
    }
    const signer = eip1193Signer(provider, pair.evmAddress.toLowerCase())
    const signature = await signer.signTypedData(data)
    expect(calls[0]?.method).toBe('eth_signTypedData_v4')
    expect(calls[0]?.params?.[0]).toBe(pair.evmAddress)
    expect(recoverTypedDataSigner(data, signature)).toBe(pair.evmAddress)
  })
})
