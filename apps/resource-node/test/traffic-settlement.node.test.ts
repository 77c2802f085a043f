// The Proof of Traffic settlement engine over a real node:sqlite store: every rejection rule, the
// cumulative "latest receipt wins" rule, ticket caps, stratos-chain's reward formulas and the reward tree.
import {
  decodeVolumeReport,
  fromHex,
  generateKeyPair,
  issueTicket,
  signReceipt,
  splitTrafficReward,
  trafficReward,
  verifyRewardProof,
} from '@stratos-edge/core'
import { afterEach, describe, expect, it } from 'vitest'
import { openSqliteSettlementStore } from '../src/traffic/index.js'
import { createCleanups } from './support/cleanups.js'
import {
  afterLate,
  EPOCH_MS,
  GENESIS_MS,
  MARKET,
  makeWorld,
  receiptOf,
  settlementFor,
  T0,
  TEST_NETWORK,
  ticketFor,
} from './traffic-fixtures.js'

const cleanups = createCleanups('traffic')
afterEach(() => cleanups.run())
const dir = (): Promise<string> => cleanups.dir()

describe('traffic settlement', () => {
  it('holds the latest cumulative receipt per pair and settles it with the chain formulas', async () => {
    const w = makeWorld(2, 2)
    const [d0, d1] = w.downloaders as [typeof w.meta, typeof w.meta]
    const [p0, p1] = w.providers as [typeof w.meta, typeof w.meta]
    const t0 = ticketFor(w, d0)
    const t1 = ticketFor(w, d1)
    const { settlement, store, clock, charger } = settlementFor(w, await dir(), { tickets: [t0, t1] })
    cleanups.add(() => store.close())
    // d0 signs running totals for p0: 100, 300, 600 bytes; p0 submits them out of order.
    const r1 = receiptOf(w, d0, p0, t0, 100, 1n)
    const r2 = receiptOf(w, d0, p0, t0, 300, 2n)
    const r3 = receiptOf(w, d0, p0, t0, 600, 4n)
    expect(await settlement.submit(p0.evmAddress, [r1, r3])).toEqual({
      accepted: 2,
      duplicates: 0,
      rejected: [],
    })
    expect(await settlement.submit(p0.evmAddress, [r2, r3])).toEqual({
      accepted: 0,
      duplicates: 1,
      rejected: [{ index: 0, reason: 'stale' }],
    })
    await settlement.submit(p1.evmAddress, [
      receiptOf(w, d0, p1, t0, 50, 3n),
      receiptOf(w, d1, p1, t1, 1000, 1n),
    ])
    await expect(settlement.settle(1)).rejects.toHaveProperty('name', 'EpochNotDueError')
    clock.now = afterLate(1)
    const settled = await settlement.settle(1)
    const report = decodeVolumeReport(fromHex(settled.report))
    expect(report.totalBytes).toBe(1650n)
    const byProvider = new Map(report.entries.map((e) => [e.provider, e.bytes]))
    expect(byProvider.get(p0.evmAddress)).toBe(600n)
    expect(byProvider.get(p1.evmAddress)).toBe(1050n)
    // R = (S + Pt)·Y / (Lt + Y), 60 % to resource nodes, shared by bytes.
    const pool = splitTrafficReward(trafficReward(1650n, MARKET)).resourceNodes
    const rewards = new Map(settled.rewards.map((r) => [r.account, r.amount]))
    expect(rewards.get(p0.evmAddress)).toBe((pool * 600n) / 1650n)
    expect(rewards.get(p1.evmAddress)).toBe((pool * 1050n) / 1650n)
    expect(settled.total).toBe((pool * 600n) / 1650n + (pool * 1050n) / 1650n)
    // The owner pays 1 noz per byte, once.
    expect([...charger.charges.values()]).toEqual([
      { key: `traffic:1:${w.owner.evmAddress}`, epoch: 1, owner: w.owner.evmAddress, ozone: 1650n },
    ])
    const proof = await settlement.rewardProof(1, p1.evmAddress)
    expect(proof.root).toBe(settled.root)
    expect(verifyRewardProof(settled.root as string, 1, p1.evmAddress, proof.amount, proof.proof)).toBe(true)
    // Settling again, or after reopening the store, changes nothing.
    expect(await settlement.settle(1)).toEqual(settled)
    expect(charger.calls).toBe(1)
  })

  it('takes receipts of a ticket’s last, partial epoch, capped by the ticket', async () => {
    const w = makeWorld(1, 1)
    const d = w.downloaders[0]!
    const p = w.providers[0]!
    // Expires 5 s into epoch 1 (of 10 s): its traffic up to then is paid, at most bytesAllowed.
    const t = ticketFor(w, d, { expiresAt: Math.floor(T0 / 1000) + 5, bytesAllowed: 800n })
    const { settlement, store, clock, charger } = settlementFor(w, await dir(), { tickets: [t] })
    cleanups.add(() => store.close())
    const result = await settlement.submit(p.evmAddress, [receiptOf(w, d, p, t, 800, 1n)])
    expect(result).toMatchObject({ accepted: 1, rejected: [] })
    clock.now = afterLate(1)
    const settled = await settlement.settle(1)
    expect(decodeVolumeReport(fromHex(settled.report)).totalBytes).toBe(800n)
    expect([...charger.charges.values()].map((c) => c.ozone)).toEqual([800n])
  })

  it('uses the configured split, meta accounts and ozone price per byte', async () => {
    const w = makeWorld(1, 1)
    const d = w.downloaders[0]!
    const p = w.providers[0]!
    const t = ticketFor(w, d)
    const metaA = generateKeyPair().evmAddress
    const metaB = generateKeyPair().evmAddress
    const split = { resourceNodeBp: 7000, metaNodeBp: 3000, blockchainBp: 0 }
    const { settlement, store, clock, charger } = settlementFor(w, await dir(), {
      tickets: [t],
      init: { split, metaNodeAccounts: [metaA, metaB], ozonePerByte: 3n },
    })
    cleanups.add(() => store.close())
    await settlement.submit(p.evmAddress, [receiptOf(w, d, p, t, 1000, 1n)])
    clock.now = afterLate(1)
    const settled = await settlement.settle(1)
    const pools = splitTrafficReward(trafficReward(3000n, MARKET), split)
    expect(new Map(settled.rewards.map((r) => [r.account, r.amount]))).toEqual(
      new Map([
        [p.evmAddress, pools.resourceNodes],
        [metaA, pools.metaNodes / 2n],
        [metaB, pools.metaNodes / 2n],
      ]),
    )
    expect([...charger.charges.values()][0]?.ozone).toBe(3000n)
    const proof = await settlement.rewardProof(1, metaB)
    expect(verifyRewardProof(settled.root as string, 1, metaB, proof.amount, proof.proof)).toBe(true)
  })

  it('rejects each broken rule with its reason', async () => {
    const w = makeWorld(3, 2)
    const [d0, d1, d2] = w.downloaders as [typeof w.meta, typeof w.meta, typeof w.meta]
    const [p0, p1] = w.providers as [typeof w.meta, typeof w.meta]
    const stranger = generateKeyPair()
    const good = ticketFor(w, d0)
    const foreign = ticketFor(w, d1, { issuer: stranger })
    // Expired when epoch 1 starts: it backs none of it.
    const expired = ticketFor(w, d1, { expiresAt: Math.floor((GENESIS_MS + EPOCH_MS) / 1000) })
    const upload = ticketFor(w, d1, { kind: 'upload' })
    const otherFile = ticketFor(w, d1, { fileHash: makeWorld().fileHash })
    const small = ticketFor(w, d1, { bytesAllowed: 99n })
    const heldByD2 = ticketFor(w, d2)
    const unknown = ticketFor(w, d1)
    const ownTicket = ticketFor(w, p0)
    const ownerOfP1 = generateKeyPair()
    const ownerOf = (a: string) => (a === p1.evmAddress || a === d2.evmAddress ? [ownerOfP1.evmAddress] : [])
    const { settlement, store } = settlementFor(w, await dir(), {
      tickets: [good, foreign, expired, upload, otherFile, small, heldByD2, ownTicket],
      ownerOf,
    })
    cleanups.add(() => store.close())
    const forged = { ...receiptOf(w, d0, p0, good, 100, 1n), bytes: 10_000 }
    const submitted = [
      receiptOf(w, d0, p0, good, 100, 1n, 5), // future epoch
      receiptOf(w, d0, p1, good, 100, 2n), // names p1, submitted by p0
      forged,
      receiptOf(w, d1, p0, unknown, 10, 1n),
      receiptOf(w, d1, p0, foreign, 10, 2n),
      receiptOf(w, d1, p0, expired, 10, 3n),
      receiptOf(w, d1, p0, upload, 10, 4n),
      receiptOf(w, d0, p0, heldByD2, 10, 5n), // d0 uses d2's ticket
      receiptOf(w, d1, p0, otherFile, 10, 6n),
      receiptOf(w, d1, p0, small, 100, 7n),
      receiptOf(w, p0, p0, ownTicket, 10, 1n), // downloader is the provider
    ]
    const result = await settlement.submit(p0.evmAddress, submitted)
    expect(result.rejected.map((r) => r.reason)).toEqual([
      'future',
      'wrong-provider',
      'forged',
      'unknown-ticket',
      'invalid-ticket',
      'invalid-ticket',
      'invalid-ticket',
      'not-ticket-holder',
      'wrong-file',
      'over-claim',
      'self-dealing',
    ])
    // Self-dealing: d2 shares p1's owner.
    const shared = await settlement.submit(p1.evmAddress, [receiptOf(w, d2, p1, heldByD2, 10, 1n)])
    expect(shared.rejected).toEqual([{ index: 0, reason: 'self-dealing' }])
    // Replay: a different receipt reusing a (downloader, ticket, nonce); not cumulative: fewer bytes later.
    await settlement.submit(p0.evmAddress, [receiptOf(w, d0, p0, good, 500, 10n)])
    const later = await settlement.submit(p1.evmAddress, [
      receiptOf(w, d0, p1, good, 1, 10n),
      receiptOf(w, d0, p1, good, 100, 11n),
    ])
    expect(later.rejected).toEqual([{ index: 0, reason: 'replayed' }])
    const shrunk = await settlement.submit(p0.evmAddress, [receiptOf(w, d0, p0, good, 400, 12n)])
    expect(shrunk.rejected).toEqual([{ index: 0, reason: 'not-cumulative' }])
  })

  it('rejects a receipt after its late window or once its epoch is settled', async () => {
    const w = makeWorld(1, 1)
    const d = w.downloaders[0]!
    const p = w.providers[0]!
    const t = ticketFor(w, d)
    const { settlement, store, clock } = settlementFor(w, await dir(), { tickets: [t] })
    cleanups.add(() => store.close())
    clock.now = afterLate(1)
    expect((await settlement.submit(p.evmAddress, [receiptOf(w, d, p, t, 10, 1n)])).rejected).toEqual([
      { index: 0, reason: 'late' },
    ])
    // A store-level race: the epoch settled between the checks and the write.
    await settlement.settle(2).catch(() => undefined)
    clock.now = afterLate(2)
    await settlement.settle(2)
    const outcome = await store.holdReceipts([
      {
        epoch: 2,
        downloader: d.evmAddress,
        provider: p.evmAddress,
        ticketId: t.id,
        owner: w.owner.evmAddress,
        bytesAllowed: t.bytesAllowed,
        bytes: 10n,
        nonce: 9n,
        signature: '0x00',
      },
    ])
    expect(outcome).toEqual(['late'])
  })

  it('refuses receipts and tickets signed for another network id', async () => {
    const w = makeWorld(1, 1)
    const d = w.downloaders[0]!
    const p = w.providers[0]!
    const t = ticketFor(w, d)
    // The same ticket fields, signed for another chain by the same meta key.
    const elsewhere = issueTicket(
      { ...t, network: TEST_NETWORK + 1, id: undefined, owner: t.owner, holder: t.holder },
      w.meta,
    )
    const { settlement, store } = settlementFor(w, await dir(), {
      tickets: [t, elsewhere],
      init: { network: TEST_NETWORK },
    })
    cleanups.add(() => store.close())
    const onOtherNetwork = signReceipt({ ...receiptOf(w, d, p, t, 10, 1n), network: TEST_NETWORK + 1 }, d)
    const result = await settlement.submit(p.evmAddress, [
      onOtherNetwork,
      receiptOf(w, d, p, elsewhere, 10, 2n),
      receiptOf(w, d, p, t, 10, 3n),
    ])
    expect(result.rejected).toEqual([
      { index: 0, reason: 'wrong-network' },
      { index: 1, reason: 'wrong-network' },
    ])
    expect(result.accepted).toBe(1)
  })

  it('rejects a receipt signed with the downloader key of another', async () => {
    const w = makeWorld(2, 1)
    const [d0, d1] = w.downloaders as [typeof w.meta, typeof w.meta]
    const p = w.providers[0]!
    const t = ticketFor(w, d0)
    const { settlement, store } = settlementFor(w, await dir(), { tickets: [t] })
    cleanups.add(() => store.close())
    const bySomeoneElse = { ...receiptOf(w, d1, p, t, 10, 1n), downloader: d0.evmAddress }
    expect((await settlement.submit(p.evmAddress, [bySomeoneElse])).rejected).toEqual([
      { index: 0, reason: 'forged' },
    ])
  })

  it('caps a ticket across providers and across epochs', async () => {
    const w = makeWorld(1, 2)
    const d = w.downloaders[0]!
    const [p0, p1] = w.providers as [typeof w.meta, typeof w.meta]
    const t = ticketFor(w, d, { bytesAllowed: 1000n })
    const { settlement, store, clock } = settlementFor(w, await dir(), { tickets: [t] })
    cleanups.add(() => store.close())
    await settlement.submit(p0.evmAddress, [receiptOf(w, d, p0, t, 600, 1n)])
    clock.now = afterLate(1)
    expect(decodeVolumeReport(fromHex((await settlement.settle(1)).report)).totalBytes).toBe(600n)
    // Epoch 2: 400 bytes left; the two providers claim 600 and 200: paid pro rata, 300 and 100.
    clock.now = GENESIS_MS + 2 * EPOCH_MS + 100
    await settlement.submit(p0.evmAddress, [receiptOf(w, d, p0, t, 600, 2n, 2)])
    await settlement.submit(p1.evmAddress, [receiptOf(w, d, p1, t, 200, 3n, 2)])
    clock.now = afterLate(2)
    const s2 = await settlement.settle(2)
    const report = decodeVolumeReport(fromHex(s2.report))
    expect(report.totalBytes).toBe(400n)
    expect(new Map(report.entries.map((e) => [e.provider, e.bytes]))).toEqual(
      new Map([
        [p0.evmAddress, 300n],
        [p1.evmAddress, 100n],
      ]),
    )
    // Epoch 3: nothing left.
    clock.now = GENESIS_MS + 3 * EPOCH_MS + 100
    await settlement.submit(p0.evmAddress, [receiptOf(w, d, p0, t, 10, 4n, 3)])
    clock.now = afterLate(3)
    const s3 = await settlement.settle(3)
    expect(decodeVolumeReport(fromHex(s3.report)).totalBytes).toBe(0n)
    expect(s3.root).toBeUndefined()
  })

  it('settles due epochs on tick, retries charges and posts roots in order, across a reopen', async () => {
    const w = makeWorld(1, 1)
    const d = w.downloaders[0]!
    const p = w.providers[0]!
    const t = ticketFor(w, d)
    const data = await dir()
    const posted: number[] = []
    let failPost = true
    const poster = {
      async post(v: { epoch: number | bigint }) {
        if (failPost) throw new Error('chain down')
        posted.push(Number(v.epoch))
        return `0x${posted.length}`
      },
    }
    const first = settlementFor(w, data, { tickets: [t], poster })
    await first.settlement.submit(p.evmAddress, [receiptOf(w, d, p, t, 10, 1n)])
    first.clock.now = GENESIS_MS + 2 * EPOCH_MS + 10
    await first.settlement.submit(p.evmAddress, [receiptOf(w, d, p, t, 20, 2n, 2)])
    first.clock.now = afterLate(2)
    await expect(first.settlement.tick()).rejects.toThrow('chain down')
    await first.store.close()
    failPost = false
    const second = settlementFor(w, data, { tickets: [t], poster })
    second.clock.now = afterLate(2)
    await second.settlement.tick()
    expect(posted).toEqual([1, 2])
    expect((await second.store.settlement(1))?.postedTx).toBe('0x1')
    expect(await second.store.unposted()).toEqual([])
    await second.store.close()
    const reopened = openSqliteSettlementStore({ dataDir: data })
    expect(await reopened.lastSettled()).toBe(2)
    expect(await reopened.pendingCharges()).toEqual([])
    await reopened.close()
    expect(T0).toBeGreaterThan(GENESIS_MS)
  })
})
