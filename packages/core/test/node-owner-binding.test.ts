// Node-owner bindings are signed by the owner's wallet and by the node: checked against ethers v6, and
// their codec round-trips.
import { verifyTypedData } from 'ethers'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  decodeNodeOwnerBinding,
  encodeNodeOwnerBinding,
  keyPairFromPrivateKey,
  NODE_OWNER_BINDING_BYTES,
  nodeOwnerBindingSigned,
  nodeOwnerBindingTypedData,
  privateKeySigner,
  signNodeOwnerBinding,
  toHex,
} from '../src/index.js'

const wallet = keyPairFromPrivateKey(`0x${'51'.repeat(32)}`)
const node = keyPairFromPrivateKey(`0x${'52'.repeat(32)}`)
const other = keyPairFromPrivateKey(`0x${'53'.repeat(32)}`)
const signers = { owner: privateKeySigner(wallet.privateKey), node: privateKeySigner(node.privateKey) }

describe('node-owner bindings', () => {
  it('carry both signatures over one EIP-712 record in the network domain', async () => {
    const b = await signNodeOwnerBinding({ network: 137, issuedAt: 1_800_000_000 }, signers)
    expect(b).toMatchObject({ network: 137, node: node.evmAddress, owner: wallet.evmAddress })
    expect(nodeOwnerBindingSigned(b)).toBe(true)
    const { domain, types, message } = nodeOwnerBindingTypedData(b)
    expect(domain.chainId).toBe(137)
    expect(verifyTypedData(domain, types as never, message, toHex(b.ownerSignature))).toBe(wallet.evmAddress)
    expect(verifyTypedData(domain, types as never, message, toHex(b.nodeSignature))).toBe(node.evmAddress)
  })

  it('are not signed when a field or a signer changes', async () => {
    const b = await signNodeOwnerBinding({ network: 137, issuedAt: 5 }, signers)
    expect(nodeOwnerBindingSigned({ ...b, network: 80002 })).toBe(false)
    expect(nodeOwnerBindingSigned({ ...b, node: other.evmAddress })).toBe(false)
    expect(nodeOwnerBindingSigned({ ...b, owner: other.evmAddress })).toBe(false)
    expect(nodeOwnerBindingSigned({ ...b, issuedAt: 6 })).toBe(false)
    // Both signatures by the owner: the node never agreed.
    expect(nodeOwnerBindingSigned({ ...b, nodeSignature: b.ownerSignature })).toBe(false)
    expect(nodeOwnerBindingSigned({ ...b, ownerSignature: new Uint8Array(65) })).toBe(false)
    await expect(
      signNodeOwnerBinding({ network: 137 }, { owner: signers.node, node: signers.node }),
    ).rejects.toHaveProperty('name', 'InvalidArgumentError')
  })

  it('round-trip through the codec, and garbage is refused', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 2 ** 40 }),
        fc.integer({ min: 0, max: 2 ** 40 }),
        async (network, issuedAt) => {
          const b = await signNodeOwnerBinding({ network, issuedAt }, signers)
          const bytes = encodeNodeOwnerBinding(b)
          expect(bytes.length).toBe(NODE_OWNER_BINDING_BYTES)
          const back = decodeNodeOwnerBinding(bytes)
          expect(back).toEqual(b)
          expect(nodeOwnerBindingSigned(back)).toBe(true)
        },
      ),
      { numRuns: 20 },
    )
    const bytes = encodeNodeOwnerBinding(await signNodeOwnerBinding({ network: 1 }, signers))
    expect(() => decodeNodeOwnerBinding(bytes.subarray(1))).toThrow(
      expect.objectContaining({ name: 'DecodeError' }),
    )
    const bad = bytes.slice()
    bad[0] = 0
    expect(() => decodeNodeOwnerBinding(bad)).toThrow(expect.objectContaining({ name: 'DecodeError' }))
  })
})
