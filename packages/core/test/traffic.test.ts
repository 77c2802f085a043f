import { StandardMerkleTree } from '@openzeppelin/merkle-tree'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  applyPrepay,
  buildRewardTree,
  buildVolumeReport,
  computeFileHash,
  issueTicket,
  keyPairFromPrivateKey,
  ozoneForPrepay,
  ozonePrice,
  PRICE_SCALE,
  shareByVolume,
  signReceipt,
  splitTrafficReward,
  toEvmAddress,
  trafficReward,
  verifyRewardProof,
} from '../src/index.js'

const address = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => toEvmAddress(b))

describe('reward tree', () => {
  it('root, proofs and dump equal OpenZeppelin StandardMerkleTree for any rewards', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 40 }),
        fc.uniqueArray(fc.tuple(address, fc.bigInt({ min: 0n, max: (1n << 256n) - 1n })), {
          minLength: 1,
          maxLength: 40,
          selector: ([a]) => a.toLowerCase(),
        }),
        (epoch, rewards) => {
          const ours = buildRewardTree({
            epoch,
            rewards: rewards.map(([account, amount]) => ({ account, amount })),
          })
          const oz = StandardMerkleTree.of(
            rewards.map(([a, amount]) => [epoch, a, amount]),
            ['uint64', 'address', 'uint256'],
          )
          expect(ours.root).toBe(oz.root)
          for (const [i, [account, amount]] of rewards.entries()) {
            expect(ours.proof(account)).toEqual(oz.getProof(i))
            expect(verifyRewardProof(ours.root, epoch, account, amount, ours.proof(account))).toBe(true)
            // Flip the lowest bit: stays within uint256 even for the largest amount.
            expect(verifyRewardProof(ours.root, epoch, account, amount ^ 1n, ours.proof(account))).toBe(false)
          }
          // Our dump loads into OpenZeppelin's library and gives the same root.
          expect(StandardMerkleTree.load(ours.dump() as never).root).toBe(oz.root)
        },
      ),
      { numRuns: 60 },
    )
  })

  it('rejects duplicates, empty trees and unknown accounts with RewardTreeError', () => {
    const a = toEvmAddress(new Uint8Array(20).fill(1))
    expect(() => buildRewardTree({ epoch: 1, rewards: [] })).toThrow(
      expect.objectContaining({ name: 'RewardTreeError' }),
    )
    expect(() =>
      buildRewardTree({
        epoch: 1,
        rewards: [
          { account: a, amount: 1n },
          { account: a.toLowerCase(), amount: 2n },
        ],
      }),
    ).toThrow(expect.objectContaining({ name: 'RewardTreeError' }))
    const tree = buildRewardTree({ epoch: 1, rewards: [{ account: a, amount: 1n }] })
    expect(tree.proof(a)).toEqual([])
    expect(() => tree.proof(toEvmAddress(new Uint8Array(20).fill(2)))).toThrow(
      expect.objectContaining({ name: 'RewardTreeError' }),
    )
  })
})

describe('ozone math (stratos-chain x/sds, x/pot)', () => {
  const market = {
    totalDeposit: 10n ** 24n,
    unissuedPrepay: 5n * 10n ** 22n,
    remainingOzoneLimit: 10n ** 25n,
  }

  it('prepay buys Lt·X/(S+Pt+X), truncated', () => {
    const x = 10n ** 21n
    expect(ozoneForPrepay(x, market)).toBe((10n ** 25n * x) / (10n ** 24n + 5n * 10n ** 22n + x))
    expect(ozoneForPrepay(0n, market)).toBe(0n)
    expect(ozoneForPrepay(7n, { totalDeposit: 1n, unissuedPrepay: 1n, remainingOzoneLimit: 10n })).toBe(7n) // 70/9 = 7.7
  })

  it('each prepay raises the price, and splitting a prepay never buys more ozone', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: 10n ** 24n }),
        fc.bigInt({ min: 1n, max: 10n ** 24n }),
        (x, y) => {
          const first = applyPrepay(x, market)
          expect(ozonePrice(first.market)).toBeGreaterThanOrEqual(ozonePrice(market))
          const second = applyPrepay(y, first.market)
          expect(first.ozone + second.ozone).toBeLessThanOrEqual(ozoneForPrepay(x + y, market) + 1n)
          expect(second.market.remainingOzoneLimit).toBe(
            market.remainingOzoneLimit - first.ozone - second.ozone,
          )
        },
      ),
    )
  })

  it('price is (S+Pt)/Lt in 18-decimal fixed point', () => {
    expect(ozonePrice(market)).toBe(((10n ** 24n + 5n * 10n ** 22n) * PRICE_SCALE) / 10n ** 25n)
    expect(() => ozonePrice({ ...market, remainingOzoneLimit: 0n })).toThrow(
      expect.objectContaining({ name: 'InvalidArgumentError' }),
    )
  })

  it('traffic reward R = (S+Pt)·Y/(Lt+Y), split 60/20/20 and shared by volume', () => {
    const y = 10n ** 20n
    const r = trafficReward(y, market)
    expect(r).toBe(((10n ** 24n + 5n * 10n ** 22n) * y) / (10n ** 25n + y))
    const split = splitTrafficReward(r)
    expect(split.resourceNodes).toBe((r * 6000n) / 10000n)
    expect(split.metaNodes).toBe((r * 2000n) / 10000n)
    expect(split.resourceNodes + split.metaNodes + split.blockchain).toBeLessThanOrEqual(r)
    expect(
      shareByVolume(1000n, [
        { account: 'a', bytes: 3n },
        { account: 'b', bytes: 1n },
        { account: 'c', bytes: 0n },
      ]),
    ).toEqual([
      { account: 'a', amount: 750n },
      { account: 'b', amount: 250n },
    ])
  })
})

describe('volume report', () => {
  const meta = keyPairFromPrivateKey(`0x${'01'.repeat(32)}`)
  const downloader = keyPairFromPrivateKey(`0x${'02'.repeat(32)}`)
  const stranger = keyPairFromPrivateKey(`0x${'03'.repeat(32)}`)
  const providerA = toEvmAddress(new Uint8Array(20).fill(0xaa))
  const providerB = toEvmAddress(new Uint8Array(20).fill(0x0b))
  const fileHash = computeFileHash(new Uint8Array([1]))
  const sliceHash = 'v05ahm574f56qmejcvudt1uo4vru3pskpk4usen0' as never
  const ticket = issueTicket(
    {
      kind: 'download',
      network: 137,
      owner: meta.address,
      holder: downloader.address,
      fileHash,
      bytesAllowed: 10_000n,
      expiresAt: 1000,
    },
    meta,
  )
  const receipt = (provider: string, bytes: number, nonce: bigint, signer = downloader, epoch = 5) =>
    signReceipt(
      { network: 137, epoch, provider, fileHash, sliceHash, bytes, ticketId: ticket.id, nonce },
      signer,
    )
  const options = {
    tickets: new Map([[ticket.id, ticket]]),
    network: 137,
    issuers: [meta.address],
    ticketTime: 900,
  }

  it('a ticket allowance spans epochs: usage carries from one report to the next', () => {
    const first = buildVolumeReport(5, [receipt(providerA, 8000, 1n)], options)
    expect(first.report.totalBytes).toBe(8000n)
    const second = buildVolumeReport(
      6,
      [receipt(providerA, 4000, 2n, downloader, 6), receipt(providerA, 1, 1n, downloader, 6)],
      {
        ...options,
        ticketUsage: first.ticketUsage,
        seenReceipts: first.seenReceipts,
      },
    )
    expect(second.report.totalBytes).toBe(0n)
    expect(second.rejected.map((r) => r.reason)).toEqual([
      expect.stringContaining('allows 10000 bytes'),
      'duplicate receipt',
    ])
  })

  it('one provider in two spellings is one entry; a receipt for another file is rejected', () => {
    const upper = receipt(providerA, 100, 1n)
    const lower = { ...receipt(providerA, 200, 2n), provider: providerA.toLowerCase() as never }
    const otherFile = signReceipt(
      {
        network: 137,
        epoch: 5,
        provider: providerA,
        fileHash: computeFileHash(new Uint8Array([2])),
        sliceHash,
        bytes: 5,
        ticketId: ticket.id,
        nonce: 3n,
      },
      downloader,
    )
    const { report, rejected } = buildVolumeReport(5, [upper, lower, otherFile], options)
    expect(report.entries).toEqual([{ provider: providerA, bytes: 300n, receipts: 2 }])
    expect(rejected).toHaveLength(1)
    expect(rejected[0]?.reason).toContain('is for')
  })

  it('counts valid receipts per provider and rejects duplicates, strangers, wrong epochs and over-allowance', () => {
    const { report, rejected } = buildVolumeReport(
      5,
      [
        receipt(providerA, 4000, 1n),
        receipt(providerB, 3000, 2n),
        receipt(providerA, 4000, 1n), // duplicate
        receipt(providerA, 100, 3n, stranger), // not the ticket holder
        receipt(providerA, 100, 4n, downloader, 6), // other epoch
        receipt(providerB, 2000, 5n), // 4000 + 3000 + 2000 = 9000: fine
        receipt(providerB, 2000, 6n), // 11000 > 10000: over allowance
      ],
      { tickets: new Map([[ticket.id, ticket]]), network: 137, issuers: [meta.address], ticketTime: 900 },
    )
    expect(report.entries).toEqual([
      { provider: providerB, bytes: 5000n, receipts: 2 },
      { provider: providerA, bytes: 4000n, receipts: 1 },
    ])
    expect(report.totalBytes).toBe(9000n)
    expect(rejected.map((r) => r.reason)).toEqual([
      'duplicate receipt',
      expect.stringContaining('held by another account'),
      expect.stringContaining('epoch 6'),
      expect.stringContaining('allows 10000 bytes'),
    ])
  })
})

describe('non-integer inputs give typed errors', () => {
  it('reward epochs, ticket expiry and negative volumes', () => {
    const a = toEvmAddress(new Uint8Array(20).fill(1))
    expect(() => buildRewardTree({ epoch: 1.5, rewards: [{ account: a, amount: 1n }] })).toThrow(
      expect.objectContaining({ name: 'RewardTreeError' }),
    )
    const meta = keyPairFromPrivateKey(`0x${'09'.repeat(32)}`)
    const init = {
      kind: 'download' as const,
      network: 137,
      owner: a,
      holder: a,
      fileHash: computeFileHash(new Uint8Array()),
      bytesAllowed: 1n,
    }
    expect(() => issueTicket({ ...init, expiresAt: 1.5 }, meta)).toThrow(
      expect.objectContaining({ name: 'InvalidTicketError' }),
    )
    expect(() => issueTicket({ ...init, expiresAt: Date.now() }, meta)).toThrow(
      expect.objectContaining({ name: 'InvalidTicketError' }),
    )
    expect(() =>
      shareByVolume(100n, [
        { account: 'a', bytes: 10n },
        { account: 'b', bytes: -5n },
      ]),
    ).toThrow(expect.objectContaining({ name: 'InvalidArgumentError' }))
  })
})

describe('reward tree edge values', () => {
  it('the largest uint256 amount and epoch 2^64-1 build and verify', () => {
    const a = toEvmAddress(new Uint8Array(20).fill(3))
    const max = (1n << 256n) - 1n
    const epoch = (1n << 64n) - 1n
    const tree = buildRewardTree({ epoch: Number.MAX_SAFE_INTEGER, rewards: [{ account: a, amount: max }] })
    expect(verifyRewardProof(tree.root, Number.MAX_SAFE_INTEGER, a, max, tree.proof(a))).toBe(true)
    expect(() => verifyRewardProof(tree.root, epoch + 1n, a, max, [])).toThrow(
      expect.objectContaining({ name: 'RewardTreeError' }),
    )
  })
})
