// The resource node's node-owner binding, signed two ways: with the operator's key on the server
// (--operator-key-file, local demos) or from a binding the operator's wallet signed offline
// (--operator-binding-file), which the node only countersigns. A key or binding that cannot bind this
// node never throws out of a round: the registrar says so once and stops.
import {
  decodeNodeOwnerBinding,
  generateKeyPair,
  type KeyPair,
  nodeOwnerBindingSigned,
  toHex,
} from '@stratos-edge/core'
import type { RegisterNodeOwnerResult } from '@stratos-edge/protocol'
import { Wallet } from 'ethers'
import { describe, expect, it } from 'vitest'
import {
  checkOperatorKey,
  parseOwnerSignedBinding,
  signOwnerBinding,
} from '../src/node/operator-binding-file.js'
import { createOwnerBindingRegistrar, type OperatorOwner } from '../src/node/traffic-owner-binding.js'
import { quietLogger } from './helpers.js'

const NETWORK = 31337
const ZERO_KEY = `0x${'00'.repeat(32)}`

/** A registrar for `nodeKey` whose REGISTER_NODE_OWNER calls are kept in `sent` and answered by `answer`. */
function registrarOf(
  nodeKey: KeyPair,
  operator: OperatorOwner,
  answer: () => Promise<RegisterNodeOwnerResult> = async () => ({ outcome: 'accepted' }),
) {
  const sent: Uint8Array[] = []
  const registrar = createOwnerBindingRegistrar(
    { network: NETWORK, operator },
    {
      nodeKey,
      register: async (b) => {
        sent.push(b)
        return answer()
      },
      logger: quietLogger,
    },
  )
  return { registrar, sent }
}

describe('node-owner binding registrar', () => {
  it('completes an offline-signed binding with the node’s signature only', async () => {
    const node = generateKeyPair()
    const wallet = generateKeyPair()
    const signed = await signOwnerBinding(
      { network: NETWORK, node: node.evmAddress },
      toHex(wallet.privateKey),
    )
    // What --operator-binding-file holds: JSON, with no key in it.
    const file = JSON.stringify(signed)
    expect(file).not.toContain(toHex(wallet.privateKey).slice(2))
    const { registrar, sent } = registrarOf(node, { signed: parseOwnerSignedBinding(file, node.evmAddress) })
    await registrar.registerDue()
    expect(registrar.state).toBe('kept')
    const binding = decodeNodeOwnerBinding(sent[0] as Uint8Array)
    expect(binding).toMatchObject({ network: NETWORK, node: node.evmAddress, owner: wallet.evmAddress })
    expect(nodeOwnerBindingSigned(binding)).toBe(true)
  })

  it.each([
    ['the node’s own key', (node: KeyPair) => toHex(node.privateKey)],
    ['a zero key', () => ZERO_KEY],
  ])('never throws for %s as operator key: it stops, nothing sent', async (_, keyOf) => {
    const node = generateKeyPair()
    const { registrar, sent } = registrarOf(node, { key: keyOf(node) })
    await registrar.registerDue()
    await registrar.registerDue()
    expect(registrar.state).toBe('rejected:unsignable')
    expect(sent).toEqual([])
  })

  it('refuses an offline binding for another network without sending it', async () => {
    const node = generateKeyPair()
    const signed = await signOwnerBinding(
      { network: 1, node: node.evmAddress },
      toHex(generateKeyPair().privateKey),
    )
    const { registrar, sent } = registrarOf(node, { signed })
    await registrar.registerDue()
    expect(registrar.state).toBe('rejected:wrong-network')
    expect(sent).toEqual([])
  })

  it('retries a send that failed, with the same binding', async () => {
    const node = generateKeyPair()
    let down = true
    const { registrar, sent } = registrarOf(node, { key: toHex(generateKeyPair().privateKey) }, async () => {
      if (down) throw new Error('meta service unreachable')
      return { outcome: 'accepted' }
    })
    await registrar.registerDue()
    expect(registrar.state).toBe('pending')
    down = false
    await registrar.registerDue()
    expect(registrar.state).toBe('kept')
    expect(sent).toHaveLength(2)
    expect(sent[1]).toEqual(sent[0])
  })
})

describe('operator binding file and key checks', () => {
  const node = generateKeyPair()
  const wallet = generateKeyPair()

  it('takes a binding for this node signed by its owner', async () => {
    const signed = await signOwnerBinding(
      { network: NETWORK, node: node.evmAddress },
      toHex(wallet.privateKey),
    )
    expect(parseOwnerSignedBinding(JSON.stringify(signed), node.evmAddress)).toEqual(signed)
  })

  it('takes a binding signed by another EIP-712 wallet from the typed data in the README', async () => {
    const wallet = Wallet.createRandom()
    const fields = { node: node.evmAddress, owner: wallet.address, issuedAt: 1_765_000_000 }
    const ownerSignature = await wallet.signTypedData(
      { name: 'Stratos Edge', version: '1', chainId: NETWORK },
      {
        NodeOwnerBinding: [
          { name: 'node', type: 'address' },
          { name: 'owner', type: 'address' },
          { name: 'issuedAt', type: 'uint64' },
        ],
      },
      fields,
    )
    const file = JSON.stringify({ network: NETWORK, ...fields, ownerSignature })
    expect(parseOwnerSignedBinding(file, node.evmAddress)).toMatchObject({ owner: wallet.address })
  })

  it('refuses, with one line each: another node, a changed field, garbage', async () => {
    const signed = await signOwnerBinding(
      { network: NETWORK, node: node.evmAddress },
      toHex(wallet.privateKey),
    )
    const parse = (json: string) => () => parseOwnerSignedBinding(json, node.evmAddress)
    const other = generateKeyPair().evmAddress
    expect(parse(JSON.stringify(signed).replace(node.evmAddress, other))).toThrow(/names node/)
    expect(parse(JSON.stringify({ ...signed, issuedAt: signed.issuedAt + 1 }))).toThrow(/not .* signature/)
    expect(parse(JSON.stringify({ ...signed, owner: other }))).toThrow(/not .* signature/)
    expect(parse('{')).toThrow(/not JSON/)
    expect(parse(JSON.stringify({ ...signed, ownerSignature: '0x12' }))).toThrow(/ownerSignature/)
    try {
      parse('{')()
    } catch (error) {
      expect((error as Error).name).toBe('InvalidOperatorBindingError')
    }
  })

  it('refuses the node’s own key and a zero key as operator key', async () => {
    expect(() => checkOperatorKey(toHex(node.privateKey), node.evmAddress)).toThrow(/own traffic key/)
    expect(() => checkOperatorKey(ZERO_KEY, node.evmAddress)).toThrow(/not a valid/)
    expect(() => checkOperatorKey(toHex(wallet.privateKey), node.evmAddress)).not.toThrow()
    await expect(
      signOwnerBinding({ network: NETWORK, node: node.evmAddress }, toHex(node.privateKey)),
    ).rejects.toThrow(/own owner/)
  })
})
