/**
 * The binding a finished upload asks for never holds the upload: a wallet prompt left open is given up
 * on cancel (and after OWNER_BINDING_WAIT_MS), and a signed one is registered and remembered.
 */
import { generateKeyPair, privateKeySigner, type TypedDataSigner } from '@stratos-edge/core'
import { describe, expect, it } from 'vitest'
import { createOwnerBinding } from '../src/node/traffic/owner-binding.js'

function settingsInMemory() {
  const values = new Map<string, Uint8Array>()
  return {
    getSetting: async (name: string) => values.get(name),
    setSetting: async (name: string, value: Uint8Array) => void values.set(name, value),
  }
}

/** An owner binding whose meta service accepts everything, and counts what it was sent. */
function bindingCountingRegistrations() {
  let count = 0
  const binding = createOwnerBinding(
    { network: 31337 },
    {
      nodeKey: generateKeyPair(),
      register: async () => {
        count++
        return { outcome: 'accepted' }
      },
      settings: settingsInMemory(),
    },
  )
  return { binding, registered: () => count }
}

describe('binding after an upload', () => {
  it('gives up on a prompt left open once the upload is cancelled, and binds nothing', async () => {
    const { binding, registered } = bindingCountingRegistrations()
    const wallet = generateKeyPair()
    const neverSigns: TypedDataSigner = {
      address: wallet.evmAddress,
      signTypedData: () => new Promise(() => {}),
    }
    const controller = new AbortController()
    const done = binding.bindAfterUpload(neverSigns, controller.signal)
    setTimeout(() => controller.abort(), 50)
    const started = Date.now()
    await done
    expect(Date.now() - started).toBeLessThan(1_000)
    expect(registered()).toBe(0)
    expect(await binding.bound()).toEqual([])
  })

  it('registers and remembers a wallet that signs', async () => {
    const { binding, registered } = bindingCountingRegistrations()
    const wallet = generateKeyPair()
    const signer = privateKeySigner(wallet.privateKey)
    await binding.bindAfterUpload(signer, new AbortController().signal)
    await binding.bindAfterUpload(signer, new AbortController().signal)
    expect(registered()).toBe(1)
    expect(await binding.bound()).toEqual([wallet.evmAddress.toLowerCase()])
  })
})
