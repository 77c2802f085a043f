// The Earnings view's model against a fake of the light node's traffic API (the node is an edge here:
// the portal is under test). The e2e with real earnings belongs to the light node's Proof of Traffic.
import { describe, expect, it } from 'vitest'
import {
  canClaim,
  chartColumns,
  claimEarnings,
  epochRows,
  formatEpochLength,
  formatStos,
  loadEarnings,
  refreshPeriodMs,
  type TrafficApi,
  type TrafficSummary,
  trafficApiOf,
} from '../src/earnings.ts'

const STOS = 10n ** 18n
const summary: TrafficSummary = {
  account: '0x1a642f0e3c3af545e7acbd38b07251b3990914f1',
  network: 31337,
  currentEpoch: 12,
  epochMs: 600_000,
  epochs: [
    { epoch: 10, bytesServed: 5_000_000, receipts: 3, reward: (STOS / 2n).toString(), state: 'claimable' },
    { epoch: 9, bytesServed: 2_000_000, receipts: 1, reward: STOS.toString(), state: 'claimed' },
    { epoch: 11, bytesServed: 1_000_000, receipts: 2, reward: '0', state: 'submitted' },
    { epoch: 12, bytesServed: 250_000, receipts: 1, reward: '0', state: 'open' },
  ],
  pending: '0',
  claimable: (STOS / 2n).toString(),
  claimed: STOS.toString(),
}

/** A fake node with the traffic API, recording claims. */
function fakeNode(answer: TrafficSummary | Error) {
  const claims: unknown[] = []
  const node = {
    stat: async () => ({}),
    traffic: async () => {
      if (answer instanceof Error) throw answer
      return answer
    },
    claim: async (options?: { signer?: unknown }) => {
      claims.push(options)
      return { epochs: [10], amount: (STOS / 2n).toString(), txHashes: ['0xabc'] }
    },
  }
  return { node, claims }
}

describe('earnings', () => {
  it('says "not live" for a node without the traffic API, and reads one that has it', async () => {
    expect(trafficApiOf({ stat: async () => ({}) })).toBeUndefined()
    expect(trafficApiOf({ traffic: 1, claim: 2 })).toBeUndefined()
    expect(await loadEarnings({ stat: async () => ({}) })).toEqual({ kind: 'not-live' })
    expect(await loadEarnings(undefined)).toEqual({ kind: 'not-live' })
    const { node } = fakeNode(summary)
    expect(await loadEarnings(node)).toEqual({ kind: 'live', summary })
    const failing = fakeNode(Object.assign(new Error('meta down'), { name: 'NoProviderError' }))
    const state = await loadEarnings(failing.node)
    expect(state.kind).toBe('failed')
  })

  it('formats wei as STOS without floats', () => {
    expect(formatStos('0')).toBe('0 STOS')
    expect(formatStos('1500000000000000000')).toBe('1.5 STOS')
    expect(formatStos((123_456n * STOS + 1n).toString())).toBe('123456 STOS')
    // Too small for four decimals: shown in full, so a first tiny reward is seen to move.
    expect(formatStos('1')).toBe('0.000000000000000001 STOS')
    expect(formatStos('900')).toBe('0.0000000000000009 STOS')
    expect(formatStos((STOS + 900n).toString())).toBe('1 STOS')
    expect(formatStos('100000000000000')).toBe('0.0001 STOS')
    expect(formatStos('garbage')).toBe('—')
  })

  it('tells the epoch length, and reads again a quarter of an epoch later, between 2 and 15 s', () => {
    expect(formatEpochLength(8_000)).toBe('8 s')
    expect(formatEpochLength(600_000)).toBe('10 min')
    expect(formatEpochLength(90_000)).toBe('1 min 30 s')
    expect(refreshPeriodMs(600_000)).toBe(15_000)
    expect(refreshPeriodMs(8_000)).toBe(2_000)
    expect(refreshPeriodMs(40_000)).toBe(10_000)
    expect(refreshPeriodMs(undefined)).toBe(15_000)
  })

  it('puts each epoch reward under pending, claimable or claimed, newest first', () => {
    const rows = epochRows(summary)
    expect(rows.map((r) => r.epoch)).toEqual([12, 11, 10, 9])
    expect(rows[2]).toMatchObject({ claimable: '0.5 STOS', pending: '—', claimed: '—', receipts: 3 })
    expect(rows[3]).toMatchObject({ claimed: '1 STOS', claimable: '—' })
    expect(rows[0]).toMatchObject({ pending: '0 STOS', state: 'open: still counting' })
    expect(canClaim(summary)).toBe(true)
    expect(canClaim({ ...summary, claimable: '0' })).toBe(false)
  })

  it('charts megabytes served and STOS per epoch, oldest first', () => {
    expect(chartColumns(summary)).toEqual([
      [9, 10, 11, 12],
      [2, 5, 1, 0.25],
      [1, 0.5, 0, 0],
    ])
    expect(chartColumns(summary, 2)[0]).toEqual([11, 12])
  })

  it('charts epochs without traffic as 0, up to the current epoch', () => {
    const one = { ...summary, currentEpoch: 5, epochs: [{ ...summary.epochs[0]!, epoch: 3 }] }
    expect(chartColumns(one)).toEqual([
      [3, 4, 5],
      [5, 0, 0],
      [0.5, 0, 0],
    ])
    expect(chartColumns({ ...summary, epochs: [] })).toEqual([[], [], []])
  })

  it('claims with the wallet when one is connected, else with the node key', async () => {
    const { node, claims } = fakeNode(summary)
    const api = trafficApiOf(node) as TrafficApi
    const wallet = { request: async () => [] }
    expect(await claimEarnings(api, wallet)).toBe('Claimed 0.5 STOS for epoch 10 (1 transaction).')
    await claimEarnings(api, undefined)
    expect(claims).toEqual([{ signer: wallet }, {}])
  })
})
