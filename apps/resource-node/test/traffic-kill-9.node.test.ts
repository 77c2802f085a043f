// kill -9 of the meta service while providers submit receipts: after a restart, every acknowledged
// receipt is held, the providers' retries count nothing twice, and the epoch settles to the exact total.
import { spawn } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { decodeVolumeReport, encodeReceipt, encodeTicket, fromHex, toHex } from '@stratos-edge/core'
import { afterAll, describe, expect, it } from 'vitest'
import { createCleanups } from './support/cleanups.js'
import {
  afterLate,
  EPOCH_MS,
  GENESIS_MS,
  LATE_MS,
  makeWorld,
  receiptOf,
  settlementFor,
  T0,
  ticketFor,
} from './traffic-fixtures.js'

const CHILD = fileURLToPath(new URL('./fixtures/traffic-settlement-child.mjs', import.meta.url))
const BATCHES = 30
const cleanups = createCleanups('traffic')
afterAll(() => cleanups.run())

describe('kill -9 of the settlement mid-epoch', () => {
  it('loses no acknowledged receipt and counts none twice', async () => {
    const dir = await cleanups.dir()
    const w = makeWorld(10, 5)
    const tickets = w.downloaders.map((d) => ticketFor(w, d))
    // Batch k: provider k % 5 submits, for each downloader, its running total after k+1 rounds.
    const batches = Array.from({ length: BATCHES }, (_, k) => {
      const pi = k % w.providers.length
      const provider = w.providers[pi]!
      const round = Math.floor(k / w.providers.length) + 1
      return {
        provider: provider.evmAddress,
        receipts: w.downloaders.map((d, di) =>
          receiptOf(w, d, provider, tickets[di]!, round * 1000, BigInt(k + 1)),
        ),
      }
    })
    const config = join(dir, 'child.json')
    await writeFile(
      config,
      JSON.stringify({
        dataDir: dir,
        clock: { genesisMs: GENESIS_MS, epochMs: EPOCH_MS },
        lateWindowMs: LATE_MS,
        issuers: [w.meta.evmAddress],
        now: T0 + 1000,
        tickets: tickets.map((t) => toHex(encodeTicket(t))),
        batches: batches.map((b) => ({
          provider: b.provider,
          receipts: b.receipts.map((r) => toHex(encodeReceipt(r))),
        })),
      }),
    )
    const child = spawn(process.execPath, [CHILD, config], { stdio: ['ignore', 'pipe', 'inherit'] })
    let acked = -1
    const killedAt = await new Promise<number>((resolve, reject) => {
      createInterface({ input: child.stdout }).on('line', (line) => {
        if (!line.startsWith('ack ')) return
        acked = Number(line.slice(4))
        if (acked === 7) {
          child.kill('SIGKILL')
          resolve(acked)
        }
      })
      child.on('exit', (code) =>
        code === 0 ? reject(new Error('child finished before the kill')) : undefined,
      )
    })
    await new Promise((resolve) => child.once('exit', resolve))
    expect(killedAt).toBeGreaterThanOrEqual(7)

    const { settlement, store, clock } = settlementFor(w, dir, { tickets })
    cleanups.add(() => store.close())
    // Every acknowledged batch is held: its pairs hold a nonce at least as new.
    const held = await store.heldReceipts(1)
    for (let k = 0; k <= acked; k++) {
      for (const r of batches[k]!.receipts) {
        const h = held.find((x) => x.downloader === r.downloader && x.provider === r.provider)
        expect(h?.nonce).toBeGreaterThanOrEqual(r.nonce)
      }
    }
    // The providers retry everything; acknowledged receipts come back as duplicates.
    let duplicates = 0
    for (const b of batches) {
      const result = await settlement.submit(b.provider, b.receipts)
      expect(result.rejected.filter((r) => r.reason !== 'stale')).toEqual([])
      duplicates += result.duplicates
    }
    expect(duplicates).toBeGreaterThanOrEqual((acked + 1) * w.downloaders.length)
    clock.now = afterLate(1)
    const report = decodeVolumeReport(fromHex((await settlement.settle(1)).report))
    // Each (downloader, provider) pair counts its latest running total once: 6 rounds of 1000 bytes.
    const rounds = BATCHES / w.providers.length
    expect(report.totalBytes).toBe(BigInt(w.downloaders.length * w.providers.length * rounds * 1000))
    expect(report.entries.every((e) => e.receipts === w.downloaders.length)).toBe(true)
  })
})
