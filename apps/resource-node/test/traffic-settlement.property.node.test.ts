// Property tests of the settlement rules: submission order and repeats never change what settles, a
// tampered receipt never counts, self-dealing never pays, and a ticket never pays past its allowance.
import {
  decodeVolumeReport,
  type EvmAddress,
  fromHex,
  generateKeyPair,
  type TrafficReceipt,
} from '@stratos-edge/core'
import fc from 'fast-check'
import { afterAll, describe, expect, it } from 'vitest'
import { capByTicket, type HeldReceipt } from '../src/traffic/index.js'
import { createCleanups } from './support/cleanups.js'
import { afterLate, makeWorld, receiptOf, settlementFor, ticketFor } from './traffic-fixtures.js'

const cleanups = createCleanups('traffic')
afterAll(() => cleanups.run())
const freshDir = (): Promise<string> => cleanups.dir()

describe('settlement properties', () => {
  // A pool of cumulative receipts: 2 downloaders × 2 providers, 4 refreshes each.
  const w = makeWorld(2, 2)
  const tickets = w.downloaders.map((d) => ticketFor(w, d))
  const pool: TrafficReceipt[] = []
  w.downloaders.forEach((d, di) => {
    w.providers.forEach((p, pi) => {
      for (let k = 1; k <= 4; k++)
        pool.push(receiptOf(w, d, p, tickets[di]!, k * 100 + pi, BigInt(pi * 10 + k)))
    })
  })
  const pairKey = (r: TrafficReceipt) => `${r.downloader}/${r.provider}`

  it('settles each pair at its newest submitted receipt, whatever the order and repeats', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(fc.nat(pool.length - 1), { minLength: 1, maxLength: 6 }), {
          minLength: 1,
          maxLength: 5,
        }),
        async (batches) => {
          const { settlement, store, clock } = settlementFor(w, await freshDir(), { tickets })
          try {
            const newest = new Map<string, TrafficReceipt>()
            for (const batch of batches) {
              for (const provider of w.providers) {
                const mine = batch.map((i) => pool[i]!).filter((r) => r.provider === provider.evmAddress)
                const result = await settlement.submit(provider.evmAddress, mine)
                expect(result.rejected.every((r) => r.reason === 'stale')).toBe(true)
                for (const r of mine) {
                  const seen = newest.get(pairKey(r))
                  if (!seen || seen.nonce < r.nonce) newest.set(pairKey(r), r)
                }
              }
            }
            clock.now = afterLate(1)
            const report = decodeVolumeReport(fromHex((await settlement.settle(1)).report))
            const expected = [...newest.values()].reduce((s, r) => s + BigInt(r.bytes), 0n)
            expect(report.totalBytes).toBe(expected)
          } finally {
            await store.close()
          }
        },
      ),
      { numRuns: 25 },
    )
  })

  it('never counts a receipt with any field changed after signing', async () => {
    const { settlement, store } = settlementFor(w, await freshDir(), { tickets })
    cleanups.add(() => store.close())
    const other = makeWorld()
    const mutations: ((r: TrafficReceipt) => TrafficReceipt)[] = [
      (r) => ({ ...r, bytes: r.bytes + 1 }),
      (r) => ({ ...r, nonce: r.nonce + 1000n }),
      (r) => ({ ...r, ticketId: tickets[1]!.id === r.ticketId ? tickets[0]!.id : tickets[1]!.id }),
      (r) => ({ ...r, fileHash: other.fileHash }),
      (r) => ({ ...r, sliceHash: other.sliceHash }),
      (r) => ({ ...r, downloader: w.downloaders.find((d) => d.evmAddress !== r.downloader)!.evmAddress }),
      (r) => {
        const signature = r.signature.slice()
        signature[10] = (signature[10] as number) ^ 1
        return { ...r, signature }
      },
    ]
    await fc.assert(
      fc.asyncProperty(fc.nat(pool.length - 1), fc.nat(mutations.length - 1), async (i, m) => {
        const tampered = mutations[m]!(pool[i]!)
        const result = await settlement.submit(tampered.provider, [tampered])
        expect(result.accepted + result.duplicates).toBe(0)
        expect(result.rejected).toHaveLength(1)
      }),
      { numRuns: 40 },
    )
  })

  it('never pays a downloader that is the provider, its owner, its node, or shares an owner', async () => {
    const world = makeWorld(2, 2)
    const accounts = [...world.downloaders, ...world.providers]
    // Owners are outside wallets or the accounts themselves (a wallet that downloads, a node that owns).
    const owners = [
      ...[generateKeyPair(), generateKeyPair(), generateKeyPair()].map((k) => k.evmAddress),
      ...accounts.map((a) => a.evmAddress),
    ]
    const ts = accounts.map((a) => ticketFor(world, a))
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uniqueArray(fc.nat(owners.length - 1), { maxLength: 3 }), { minLength: 4, maxLength: 4 }),
        fc.nat(3),
        fc.nat(1),
        async (ownerIdx, di, pi) => {
          const ownerOf = (a: EvmAddress) => {
            const i = accounts.findIndex((k) => k.evmAddress === a)
            return i < 0 ? [] : (ownerIdx[i] ?? []).map((o) => owners[o] as EvmAddress)
          }
          const d = accounts[di]!
          const p = world.providers[pi]!
          const { settlement, store } = settlementFor(world, await freshDir(), { tickets: ts, ownerOf })
          try {
            const result = await settlement.submit(p.evmAddress, [receiptOf(world, d, p, ts[di]!, 10, 1n)])
            const od = ownerOf(d.evmAddress)
            const op = ownerOf(p.evmAddress)
            const selfDealt =
              d === p ||
              op.includes(d.evmAddress) ||
              od.includes(p.evmAddress) ||
              od.some((o) => op.includes(o))
            expect(result.accepted).toBe(selfDealt ? 0 : 1)
            if (selfDealt) expect(result.rejected).toEqual([{ index: 0, reason: 'self-dealing' }])
          } finally {
            await store.close()
          }
        },
      ),
      { numRuns: 40 },
    )
  })

  it('never pays a ticket past its allowance, and pays all of a claim within it', () => {
    fc.assert(
      fc.property(
        fc.array(fc.bigInt({ min: 0n, max: 10n ** 12n }), { minLength: 1, maxLength: 8 }),
        fc.bigInt({ min: 0n, max: 10n ** 13n }),
        fc.bigInt({ min: 0n, max: 10n ** 13n }),
        (claims, allowance, usedBefore) => {
          const held = claims.map(
            (bytes, i): HeldReceipt => ({
              epoch: 1,
              downloader: w.downloaders[0]!.evmAddress,
              provider: `0x${String(i).padStart(40, '0')}` as EvmAddress,
              ticketId: '0xt',
              owner: w.owner.evmAddress,
              bytesAllowed: allowance,
              bytes,
              nonce: BigInt(i),
              signature: '0x',
            }),
          )
          const { paid, perTicket } = capByTicket(held, new Map([['0xt', usedBefore]]))
          const left = allowance > usedBefore ? allowance - usedBefore : 0n
          const claimed = claims.reduce((s, b) => s + b, 0n)
          const total = paid.reduce((s, b) => s + b, 0n)
          expect(perTicket.get('0xt')).toBe(total)
          expect(total <= left).toBe(true)
          if (claimed <= left) expect(total).toBe(claimed)
          else expect(left - total < BigInt(claims.length)).toBe(true)
          expect(paid.every((b, i) => b <= claims[i]!)).toBe(true)
        },
      ),
    )
  })
})
