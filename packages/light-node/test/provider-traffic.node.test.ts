/**
 * A light node's provider side against real libp2p nodes on 127.0.0.1: it starts taking receipts once
 * the meta service answers TRAFFIC_STATUS, even when the first answers failed, and it credits receipts
 * only under tickets of the issuer that answer names.
 */
import type { Libp2p } from '@libp2p/interface'
import {
  computeFileHash,
  computeSliceHash,
  encodeReceipt,
  encodeTicket,
  generateKeyPair,
  issueTicket,
  signReceipt,
} from '@stratos-edge/core'
import { createMemoryReceiptHold, sendReceipts } from '@stratos-edge/protocol'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createProviderTraffic } from '../src/node/traffic/provider-traffic.js'
import type { TrafficStatus } from '../src/node/traffic/traffic-index.js'
import { createWsLibp2p } from './support/ws-libp2p.js'

const NETWORK = 31337

describe('provider traffic (real libp2p)', () => {
  let provider: Libp2p
  let downloader: Libp2p
  beforeAll(async () => {
    provider = await createWsLibp2p({ listen: ['/ip4/127.0.0.1/tcp/0/ws'] })
    downloader = await createWsLibp2p()
  })
  afterAll(async () => {
    await Promise.all([provider?.stop(), downloader?.stop()])
  })

  it('asks TRAFFIC_STATUS again after a failure, then takes receipts under the named issuer’s tickets', async () => {
    const meta = generateKeyPair()
    const nodeKey = generateKeyPair()
    const downloaderKey = generateKeyPair()
    const hold = createMemoryReceiptHold()
    const traffic = createProviderTraffic({ network: NETWORK, statusRetryMs: 100 }, { hold, nodeKey })
    let asked = 0
    const status = {
      network: NETWORK,
      genesisMs: 0,
      epochMs: 60_000,
      currentEpoch: 1,
      lateWindowMs: 12_000,
      ticketIssuer: meta.evmAddress,
      epochs: [],
      pending: '0',
      claimable: '0',
      claimed: '0',
    } satisfies TrafficStatus
    const started = traffic.start(provider, {
      submitReceipts: async (r) => ({ accepted: r.length, rejected: [] }),
      trafficStatus: async () => {
        // The meta service is unreachable the first two times.
        if (++asked <= 2) throw new Error('meta service unreachable')
        return status
      },
    })
    try {
      await vi.waitFor(() => expect(asked).toBe(3), { timeout: 5000 })
      await started
      expect(traffic.submitter).toBeDefined()

      const fileHash = computeFileHash(new TextEncoder().encode('served by a light node'))
      const ticketOf = (issuer = meta) =>
        issueTicket(
          {
            kind: 'download',
            network: NETWORK,
            owner: meta.evmAddress,
            holder: downloaderKey.evmAddress,
            fileHash,
            bytesAllowed: 1n << 20n,
            expiresAt: Math.floor(Date.now() / 1000) + 3600,
          },
          issuer,
        )
      const receipt = (ticketId: `0x${string}`, bytes: number) =>
        encodeReceipt(
          signReceipt(
            {
              network: NETWORK,
              epoch: 1,
              provider: nodeKey.evmAddress,
              fileHash,
              sliceHash: computeSliceHash(1, new Uint8Array(8), fileHash),
              bytes,
              ticketId,
              nonce: BigInt(bytes),
            },
            downloaderKey,
          ),
        )
      const real = ticketOf()
      const fake = ticketOf(downloaderKey)
      const reply = await sendReceipts(
        downloader,
        provider.getMultiaddrs(),
        [receipt(real.id, 4096), receipt(fake.id, 1 << 19)],
        { tickets: [encodeTicket(real), encodeTicket(fake)] },
      )
      expect(reply.accepted).toBe(1)
      expect(reply.rejected).toEqual([{ index: 1, reason: 'unknown-ticket' }])
      expect(traffic.gate.owed(downloader.peerId.toString())).toBe(-4096)
      expect((await hold.list()).map((h) => h.receipt.ticketId)).toEqual([real.id])
    } finally {
      traffic.stop()
    }
  })

  it('stop ends the asking', async () => {
    const traffic = createProviderTraffic(
      { network: NETWORK, statusRetryMs: 50 },
      { hold: createMemoryReceiptHold(), nodeKey: generateKeyPair() },
    )
    let asked = 0
    const started = traffic.start(provider, {
      submitReceipts: async () => ({ accepted: 0, rejected: [] }),
      trafficStatus: async () => {
        asked++
        throw new Error('meta service unreachable')
      },
    })
    await vi.waitFor(() => expect(asked).toBeGreaterThanOrEqual(2))
    traffic.stop()
    await started
    const after = asked
    await new Promise((r) => setTimeout(r, 200))
    expect(asked).toBe(after)
    expect(traffic.submitter).toBeUndefined()
  })
})
