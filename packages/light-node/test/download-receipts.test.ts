import {
  computeFileHash,
  computeSliceHash,
  decodeReceipt,
  encodeReceipt,
  generateKeyPair,
  issueTicket,
  type TrafficReceipt,
  verifyReceipt,
} from '@stratos-edge/core'
import 'fake-indexeddb/auto'
import { heldReceiptKey } from '@stratos-edge/protocol'
import { describe, expect, it } from 'vitest'
import type { ProviderInfo } from '../src/node/network-index.js'
import { createDownloadReceipts, type Tally } from '../src/node/traffic/download-receipts.js'
import { createIdbSliceStore } from '../src/store/idb-slice-store.js'

const fileHash = computeFileHash(new TextEncoder().encode('download receipts'))
const nodeKey = generateKeyPair()
const meta = generateKeyPair()
const ticket = issueTicket(
  {
    kind: 'download',
    network: 31337,
    owner: generateKeyPair().evmAddress,
    holder: nodeKey.evmAddress,
    fileHash,
    bytesAllowed: 1n << 30n,
    expiresAt: Math.floor(Date.now() / 1000) + 3600,
  },
  meta,
)
const providerKeys = [generateKeyPair(), generateKeyPair()]
const providers: ProviderInfo[] = providerKeys.map((_, i) => ({
  peerId: `peer-${i}`,
  multiaddrs: [],
  kind: 'light',
}))
const hash = computeSliceHash(1, new Uint8Array(10), fileHash)

function setup(
  now: () => number,
  tallies?: Map<string, Tally>,
  cadence: { ticket?: typeof ticket; signEveryBytes?: number; signEverySlices?: number } = {},
) {
  const sent: { peer: string; receipts: TrafficReceipt[] }[] = []
  const receipts = createDownloadReceipts(
    {
      network: 31337,
      ticket: cadence.ticket ?? ticket,
      clock: { genesisMs: 0, epochMs: 10_000 },
      signEveryBytes: cadence.signEveryBytes ?? 200,
      ...(cadence.signEverySlices !== undefined ? { signEverySlices: cadence.signEverySlices } : {}),
    },
    {
      nodeKey,
      addresses: new Map(),
      ...(tallies ? { tallies } : {}),
      now,
      async send(provider, batch) {
        sent.push({ peer: provider.peerId, receipts: batch.map((b) => decodeReceipt(b)) })
        const i = providers.indexOf(provider)
        return {
          provider: providerKeys[i]!.evmAddress,
          network: 31337,
          accepted: batch.length,
          rejected: [],
        }
      },
    },
  )
  return { receipts, sent }
}

describe('download receipts', () => {
  it('signs the running total per provider every few slices and at the end, nonces rising', async () => {
    let t = 25_000 // epoch 2
    const { receipts, sent } = setup(() => t)
    const [a, b] = providers as [ProviderInfo, ProviderInfo]
    receipts.verified(a, hash, 100)
    receipts.verified(b, hash, 50)
    receipts.verified(a, hash, 100) // a: 2 slices → a receipt for 200
    await receipts.flush(b, AbortSignal.timeout(1000)) // b asked for one: 50
    t = 26_000
    receipts.verified(a, hash, 100)
    await receipts.finish(AbortSignal.timeout(1000)) // a: 300; b: nothing new
    const signed = sent.filter((s) => s.receipts.length > 0)
    expect(signed.map((s) => [s.peer, s.receipts[0]!.bytes])).toEqual([
      ['peer-0', 200],
      ['peer-1', 50],
      ['peer-0', 300],
    ])
    const all = signed.map((s) => s.receipts[0]!)
    for (const r of all) {
      verifyReceipt(r, { network: 31337 })
      expect(r.downloader).toBe(nodeKey.evmAddress)
      expect(r.ticketId).toBe(ticket.id)
      expect(r.epoch).toBe(2)
    }
    expect(all[0]!.provider).toBe(providerKeys[0]!.evmAddress)
    expect(all[1]!.provider).toBe(providerKeys[1]!.evmAddress)
    expect(all[0]!.nonce < all[1]!.nonce && all[1]!.nonce < all[2]!.nonce).toBe(true)
  })

  it('starts a new total when the epoch turns, after signing the old one', async () => {
    let t = 9_000
    const { receipts, sent } = setup(() => t)
    const [a] = providers as [ProviderInfo]
    receipts.verified(a, hash, 100)
    t = 10_500
    receipts.verified(a, hash, 70)
    await receipts.finish(AbortSignal.timeout(1000))
    const signed = sent.flatMap((s) => s.receipts).map((r) => [r.epoch, r.bytes])
    expect(signed).toEqual([
      [0, 100],
      [1, 70],
    ])
  })
})

describe('receipt cadence', () => {
  it('signs every 4 slices when the byte threshold is further away', async () => {
    const { receipts, sent } = setup(() => 25_000, undefined, { signEveryBytes: 1 << 30 })
    const [a] = providers as [ProviderInfo]
    const settle = () => new Promise((r) => setTimeout(r, 10))
    for (let i = 0; i < 3; i++) receipts.verified(a, hash, 10)
    await settle()
    expect(sent.flatMap((s) => s.receipts)).toEqual([])
    receipts.verified(a, hash, 10) // the 4th slice signs
    await settle()
    receipts.verified(a, hash, 10)
    await settle()
    expect(sent.flatMap((s) => s.receipts).map((r) => r.bytes)).toEqual([40])
  })

  it("two downloads from one provider sign on the provider's unsigned total, not each their own", async () => {
    // The provider's grace counts a peer's unsigned bytes over all its tickets.
    const other = issueTicket(
      {
        kind: 'download',
        network: 31337,
        owner: generateKeyPair().evmAddress,
        holder: nodeKey.evmAddress,
        fileHash: computeFileHash(new TextEncoder().encode('another file')),
        bytesAllowed: 1n << 30n,
        expiresAt: Math.floor(Date.now() / 1000) + 3600,
      },
      meta,
    )
    const tallies = new Map<string, Tally>()
    const cadence = { signEveryBytes: 200, signEverySlices: 100 }
    const first = setup(() => 25_000, tallies, cadence)
    const second = setup(() => 25_000, tallies, { ...cadence, ticket: other })
    const [a] = providers as [ProviderInfo]
    first.receipts.verified(a, hash, 150)
    second.receipts.verified(a, hash, 150) // 300 unsigned from a: the second signs its part
    await new Promise((r) => setTimeout(r, 10))
    expect(first.sent.flatMap((s) => s.receipts)).toEqual([])
    expect(second.sent.flatMap((s) => s.receipts).map((r) => [r.ticketId, r.bytes])).toEqual([
      [other.id, 150],
    ])
  })
})

describe('download receipts across downloads of one file', () => {
  it('a second download under the same ticket counts on from the first: the provider keeps the largest', async () => {
    // The meta service hands a downloader its live ticket again for the same file, and a provider
    // credits only what a receipt adds to the largest total it holds for that ticket and epoch: a
    // total restarting from 0 would earn no credit, and the provider would stop serving after its grace.
    const t = 25_000
    const tallies = new Map<string, Tally>()
    const first = setup(() => t, tallies)
    const [a] = providers as [ProviderInfo]
    first.receipts.verified(a, hash, 100)
    await first.receipts.finish(AbortSignal.timeout(1000))
    const second = setup(() => t, tallies)
    second.receipts.verified(a, hash, 40)
    await second.receipts.finish(AbortSignal.timeout(1000))
    const bytes = [...first.sent, ...second.sent].flatMap((s) => s.receipts).map((r) => r.bytes)
    expect(bytes).toEqual([100, 140])
  })
})

describe('download receipt tallies over a long session', () => {
  it("drop an expired ticket's fully sent tallies when a new one starts, and keep live ones", async () => {
    const expired = issueTicket(
      {
        kind: 'download',
        network: 31337,
        owner: ticket.owner,
        holder: nodeKey.evmAddress,
        fileHash,
        bytesAllowed: 1n << 30n,
        expiresAt: 1, // long past at the test clock's 25 s
      },
      meta,
    )
    const tallies = new Map<string, Tally>()
    const [a] = providers as [ProviderInfo]
    const first = setup(() => 25_000, tallies, { ticket: expired })
    first.receipts.verified(a, hash, 100)
    await first.receipts.finish(AbortSignal.timeout(1000))
    const second = setup(() => 25_000, tallies)
    second.receipts.verified(a, hash, 40)
    await second.receipts.finish(AbortSignal.timeout(1000))
    expect([...tallies.keys()]).toEqual([`${ticket.id}|${a.peerId}`])
    const third = setup(() => 25_000, tallies)
    third.receipts.verified(a, hash, 10)
    await third.receipts.finish(AbortSignal.timeout(1000))
    expect(third.sent.flatMap((s) => s.receipts).map((r) => r.bytes)).toEqual([50])
  })
})

describe('receipts held in the slice database', () => {
  it('survive closing and reopening the store', async () => {
    const name = `receipts-${Math.random()}`
    const store = await createIdbSliceStore({ name })
    const { receipts, sent } = setup(() => 5_000)
    receipts.verified(providers[0]!, hash, 123)
    await receipts.finish(AbortSignal.timeout(1000))
    const receipt = sent.flatMap((s) => s.receipts)[0]!
    await store.receipts.put(heldReceiptKey(receipt), {
      receipt,
      bytes: encodeReceipt(receipt),
      state: 'pending',
    })
    await store.close()
    const again = await createIdbSliceStore({ name })
    const held = await again.receipts.list()
    expect(held).toHaveLength(1)
    expect(held[0]!.receipt.bytes).toBe(123)
    expect(held[0]!.state).toBe('pending')
    await again.close()
  })
})
