// Tickets paid by real prepayments: a meta node wired to a local Polygon (anvil) credits a
// StoragePayments prepayment to the owner's ozone, then issues the ticket it refused before; no free tier.
import { multiaddr } from '@multiformats/multiaddr'
import {
  decodeTicket,
  encodeTicket,
  encodeTicketRequest,
  keyPairFromPrivateKey,
  privateKeySigner,
  signTicketRequest,
  toHex,
} from '@stratos-edge/core'
import type { BridgeClient } from '@stratos-edge/polygon-bridge'
import type { LocalChains } from '@stratos-edge/polygon-bridge/local'
import { createIndexClient, uploadSlice } from '@stratos-edge/protocol'
import { type JsonRpcProvider, toBeHex } from 'ethers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ResourceNode } from '../src/index.js'
import { createClient, makeFile, until } from './helpers.js'
import { type AnvilChains, startAnvilChains } from './support/anvil-chains.js'
import { startTempNode } from './support/temp-node.js'

const STOS = 10n ** 18n

describe('upload tickets paid by StoragePayments prepayments (anvil)', () => {
  let anvil: AnvilChains
  let chains: LocalChains
  let pol: JsonRpcProvider
  let payer: BridgeClient
  let meta: ResourceNode
  const cleanups: Array<() => Promise<void>> = []

  beforeAll(async () => {
    anvil = await startAnvilChains()
    ;({ chains, pol } = anvil)
    payer = anvil.bridgeClient(1)
    await payer.deposit({ amount: 10n * STOS })
    await chains.relayer.syncState()
    const d = await startTempNode('paid-meta', {
      meta: true,
      tickets: {
        network: chains.polygon.chainId,
        payments: {
          rpcUrl: chains.polygon.rpcUrl,
          storagePayments: chains.addresses.polygon.storagePayments,
          confirmations: 2,
          fromBlock: await pol.getBlockNumber(),
          pollIntervalMs: 100,
        },
      },
    })
    cleanups.push(d.cleanup)
    meta = d.node
  }, 120_000)

  afterAll(async () => {
    await meta?.stop()
    await anvil?.stop()
    for (const c of cleanups) await c()
  })

  it('refuses a ticket before the prepayment, issues it once the watcher credits it', async () => {
    const owner = keyPairFromPrivateKey(chains.accounts[4]!.privateKey)
    const client = await createClient()
    try {
      const index = createIndexClient(client, multiaddr(meta.readyInfo().wsMultiaddrs[0] as string))
      const file = await makeFile(64 * 1024, 64 * 1024)
      const ask = async () =>
        index.requestTicket(
          encodeTicketRequest(
            await signTicketRequest(
              { network: chains.polygon.chainId, bytes: 64n * 1024n },
              privateKeySigner(owner.privateKey),
            ),
          ),
        )
      const refused = await ask().catch((e: unknown) => e as Error)
      expect((refused as Error).name).toBe('InsufficientOzoneError')
      expect((refused as Error).message).toContain(`${64 * 1024} short`)
      await payer.prepay({ beneficiary: owner.address, amount: 1n * STOS })
      await pol.send('anvil_mine', [toBeHex(2)])
      let ticket: Uint8Array | undefined
      await until(async () => {
        ticket = await ask().catch(() => undefined)
        return ticket !== undefined
      })
      const t = decodeTicket(ticket as Uint8Array)
      expect(t.owner).toBe(owner.evmAddress)
      expect(t.network).toBe(chains.polygon.chainId)
      const slice = file.slices[0]!
      expect((await uploadSlice(meta.gatewayUrl, slice, { ticket: toHex(encodeTicket(t)) })).stored).toBe(
        'new',
      )
    } finally {
      await client.stop()
    }
  })
})
