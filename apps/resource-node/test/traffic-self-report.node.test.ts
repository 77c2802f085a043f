// Gateway self-reports in the settlement: the signed format, its own reject/accept path, the owner's cap
// and the weight; properties: a self-report never pays past its owner's cap, and never twice.
import {
  computeFileHash,
  decodeVolumeReport,
  type EvmAddress,
  type FileHash,
  fromHex,
  generateKeyPair,
  type KeyPair,
  type Ticket,
} from '@stratos-edge/core'
import fc from 'fast-check'
import { afterAll, describe, expect, it } from 'vitest'
import {
  createTrafficSettlement,
  decodeSelfReport,
  encodeSelfReport,
  openSqliteSettlementStore,
  type SelfReportEntry,
  type SettlementStore,
  signSelfReport,
} from '../src/traffic/index.js'
import { createCleanups } from './support/cleanups.js'
import {
  afterLate,
  EPOCH_MS,
  GENESIS_MS,
  LATE_MS,
  logger,
  MARKET,
  makeWorld,
  receiptOf,
  recordingCharger,
  T0,
  TEST_NETWORK,
  ticketFor,
} from './traffic-fixtures.js'

const cleanups = createCleanups('traffic')
afterAll(() => cleanups.run())
const freshDir = (): Promise<string> => cleanups.dir()

const fileOf = (i: number): FileHash => computeFileHash(new TextEncoder().encode(`self-report file ${i}`))

/** A settlement that takes self-reports from `reporters`, each owner's cap from `caps` (noz). */
function selfReportSettlement(
  world: ReturnType<typeof makeWorld>,
  opts: {
    store: SettlementStore
    reporters: KeyPair[]
    caps: Map<EvmAddress, bigint>
    tickets?: ReturnType<typeof ticketFor>[]
    weightBps?: number
  },
) {
  const clock = { now: T0 + 1000 }
  const tickets = new Map<string, Ticket>((opts.tickets ?? []).map((t) => [t.id, t]))
  const charger = recordingCharger()
  const reporters = new Set(opts.reporters.map((k) => k.evmAddress))
  const settlement = createTrafficSettlement(
    {
      clock: { genesisMs: GENESIS_MS, epochMs: EPOCH_MS },
      lateWindowMs: LATE_MS,
      issuers: [world.meta.evmAddress],
      network: TEST_NETWORK,
      ...(opts.weightBps !== undefined ? { selfReportWeightBps: opts.weightBps } : {}),
    },
    {
      store: opts.store,
      tickets: { get: async (id) => tickets.get(id) },
      charger,
      market: async () => MARKET,
      now: () => clock.now,
      selfReporters: (p) => reporters.has(p),
      selfReportCap: async (owner) => opts.caps.get(owner) ?? 0n,
      logger,
    },
  )
  return { settlement, clock, charger }
}

const report = (provider: KeyPair, entries: SelfReportEntry[], epoch = 1, network = TEST_NETWORK) =>
  signSelfReport({ network, epoch, provider: provider.evmAddress, entries }, provider)

describe('gateway self-reports', () => {
  it('round-trips its wire form; a changed byte count no longer verifies', async () => {
    const node = generateKeyPair()
    const owner = generateKeyPair().evmAddress
    const r = report(node, [
      { owner, fileHash: fileOf(2), bytes: 7n },
      { owner, fileHash: fileOf(1), bytes: 5n },
    ])
    const back = decodeSelfReport(encodeSelfReport(r))
    expect(back).toEqual(r)
    const w = makeWorld(1, 1)
    const { settlement, clock } = selfReportSettlement(w, {
      store: openSqliteSettlementStore({ dataDir: await freshDir() }),
      reporters: [node],
      caps: new Map(),
    })
    clock.now = T0 + EPOCH_MS + 10
    const tampered = { ...back, entries: back.entries.map((e) => ({ ...e, bytes: e.bytes * 2n })) }
    expect(await settlement.submitSelfReport(tampered)).toEqual({ outcome: 'rejected', reason: 'forged' })
    expect(() => decodeSelfReport(new TextEncoder().encode('{"entries":7}'))).toThrow(
      expect.objectContaining({ name: 'InvalidSelfReportError' }),
    )
  })

  it('has its own reject path: network, open epoch, late window, stranger, one report per epoch', async () => {
    const w = makeWorld(1, 1)
    const node = generateKeyPair()
    const stranger = generateKeyPair()
    const store = openSqliteSettlementStore({ dataDir: await freshDir() })
    const { settlement, clock } = selfReportSettlement(w, { store, reporters: [node], caps: new Map() })
    const entries = [{ owner: w.owner.evmAddress, fileHash: w.fileHash, bytes: 100n }]
    const reject = (reason: string) => ({ outcome: 'rejected', reason })
    // Epoch 1 is still open: a self-report covers a closed epoch only.
    expect(await settlement.submitSelfReport(report(node, entries))).toEqual(reject('future'))
    clock.now = T0 + EPOCH_MS + 10
    expect(await settlement.submitSelfReport(report(node, entries, 1, 137))).toEqual(reject('wrong-network'))
    expect(await settlement.submitSelfReport(report(stranger, entries))).toEqual(reject('not-self-reporter'))
    const first = report(node, entries)
    expect(await settlement.submitSelfReport(first)).toEqual({ outcome: 'accepted' })
    expect(await settlement.submitSelfReport(first)).toEqual({ outcome: 'duplicate' })
    const more = report(node, [{ ...entries[0]!, bytes: 1000n }])
    expect(await settlement.submitSelfReport(more)).toEqual(reject('already-reported'))
    clock.now = afterLate(1)
    expect(await settlement.submitSelfReport(report(node, entries, 0))).toEqual(reject('late'))
    expect(await settlement.submitSelfReport(report(node, entries))).toEqual(reject('late'))
    await store.close()
  })

  it('pays self-reported bytes at half weight, within what the owner paid after its receipts', async () => {
    const w = makeWorld(1, 1)
    const node = w.providers[0]!
    const other = generateKeyPair()
    const d = w.downloaders[0]!
    const ticket = ticketFor(w, d)
    const store = openSqliteSettlementStore({ dataDir: await freshDir() })
    // The owner's ozone covers 1000 bytes: 400 receipted, so 600 may be self-reported.
    const caps = new Map([[w.owner.evmAddress, 1000n]])
    const { settlement, clock, charger } = selfReportSettlement(w, {
      store,
      reporters: [node, other],
      caps,
      tickets: [ticket],
    })
    expect(
      (await settlement.submit(node.evmAddress, [receiptOf(w, d, node, ticket, 400, 1n)])).accepted,
    ).toBe(1)
    clock.now = T0 + EPOCH_MS + 10
    const line = (bytes: bigint) => [{ owner: w.owner.evmAddress, fileHash: w.fileHash, bytes }]
    expect((await settlement.submitSelfReport(report(node, line(900n)))).outcome).toBe('accepted')
    expect((await settlement.submitSelfReport(report(other, line(300n)))).outcome).toBe('accepted')
    clock.now = afterLate(1)
    const settled = await settlement.settle(1)
    // 1200 claimed against 600 allowed: 450 and 150, counted at half.
    expect(settled.selfReported).toEqual(
      [
        { provider: node.evmAddress, bytes: 450n, weighted: 225n },
        { provider: other.evmAddress, bytes: 150n, weighted: 75n },
      ].sort((a, b) => (a.provider < b.provider ? -1 : 1)),
    )
    const volume = decodeVolumeReport(fromHex(settled.report))
    const bytesOf = (p: string) => volume.entries.find((e) => e.provider === p)?.bytes
    expect(bytesOf(node.evmAddress)).toBe(400n + 225n)
    expect(bytesOf(other.evmAddress)).toBe(75n)
    // Charged apart: the receipted 400 may spend download reservations, the self-reported 300 may not.
    expect(new Map([...charger.charges.values()].map((c) => [c.key, c.ozone]))).toEqual(
      new Map([
        [`traffic:1:${w.owner.evmAddress}`, 400n],
        [`self:1:${w.owner.evmAddress}`, 300n],
      ]),
    )
    // Durable: the marked volume comes back from the database.
    expect((await store.settlement(1))?.selfReported).toEqual(settled.selfReported)
    await store.close()
  })

  it('property: never pays past the owner cap, never twice (repeats, restarts, settling again)', async () => {
    const w = makeWorld(1, 1)
    const nodes = [generateKeyPair(), generateKeyPair(), generateKeyPair()]
    const owners = [generateKeyPair().evmAddress, generateKeyPair().evmAddress]
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            node: fc.nat(2),
            lines: fc.array(
              fc.record({ owner: fc.nat(1), file: fc.nat(3), bytes: fc.bigInt(1n, 10n ** 12n) }),
              {
                minLength: 1,
                maxLength: 4,
              },
            ),
            repeats: fc.nat(2),
          }),
          { minLength: 1, maxLength: 6 },
        ),
        fc.array(fc.bigInt(0n, 10n ** 12n), { minLength: 2, maxLength: 2 }),
        fc.integer({ min: 0, max: 10_000 }),
        async (reports, capList, weightBps) => {
          const dir = await freshDir()
          const caps = new Map(owners.map((o, i) => [o, capList[i]!]))
          let store = openSqliteSettlementStore({ dataDir: dir })
          const build = () => {
            const built = selfReportSettlement(w, { store, reporters: nodes, caps, weightBps })
            built.clock.now = T0 + EPOCH_MS + 10
            return built
          }
          let { settlement, clock } = build()
          const firstOf = new Map<number, Map<string, bigint>>()
          for (const r of reports) {
            const merged = new Map<string, SelfReportEntry>()
            for (const l of r.lines) {
              const owner = owners[l.owner]!
              const fileHash = fileOf(l.file)
              const key = `${owner}/${fileHash}`
              const bytes = (merged.get(key)?.bytes ?? 0n) + l.bytes
              merged.set(key, { owner, fileHash, bytes })
            }
            const signed = report(nodes[r.node]!, [...merged.values()])
            for (let k = 0; k <= r.repeats; k++) {
              const out = await settlement.submitSelfReport(signed)
              if (!firstOf.has(r.node)) {
                const perOwner = new Map<string, bigint>()
                for (const e of merged.values())
                  perOwner.set(e.owner, (perOwner.get(e.owner) ?? 0n) + e.bytes)
                firstOf.set(r.node, perOwner)
                expect(out.outcome).toBe('accepted')
              } else expect(out.outcome).not.toBe('accepted')
            }
            // A restart between submissions loses nothing and takes nothing twice.
            await store.close()
            store = openSqliteSettlementStore({ dataDir: dir })
            ;({ settlement, clock } = build())
          }
          clock.now = afterLate(1)
          const settled = await settlement.settle(1)
          const again = await settlement.settle(1)
          expect(again.total).toBe(settled.total)
          const paid = settled.selfReported ?? []
          // Per owner, the charge (weighted) never passes the cap; per provider, never past what it reported.
          for (const owner of owners) {
            const charge = settled.charges.find((c) => c.owner === owner)?.ozone ?? 0n
            expect(charge <= (caps.get(owner) ?? 0n)).toBe(true)
          }
          for (const v of paid) {
            const idx = nodes.findIndex((n) => n.evmAddress === v.provider)
            const reported = [...(firstOf.get(idx)?.values() ?? [])].reduce((a, b) => a + b, 0n)
            expect(v.bytes <= reported).toBe(true)
            expect(v.weighted).toBeLessThanOrEqual(v.bytes)
          }
          const totalWeighted = paid.reduce((s, v) => s + v.weighted, 0n)
          expect(settled.charges.reduce((s, c) => s + c.ozone, 0n)).toBe(totalWeighted)
          await store.close()
        },
      ),
      { numRuns: 25 },
    )
  })
})
