// Upload tickets give back the ozone they reserved and did not use: the unused share when their file
// commits with fewer bytes, all of it when they expire uncommitted; once each, across a restart.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair, issueTicket, type OzoneMarket } from '@stratos-edge/core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openSqliteLedgerStore } from '../src/ledger/index.js'
import { createUploadRefunds } from '../src/ledger/upload-refunds.js'
import { quietLogger } from './helpers.js'

const market: OzoneMarket = { totalDeposit: 10n ** 21n, unissuedPrepay: 0n, remainingOzoneLimit: 10n ** 24n }
const owner = '0xabcdef0000000000000000000000000000000001'
const id = (n: number) => `0x${n.toString(16).padStart(64, '0')}`

describe('upload refunds', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stratos-refunds-'))
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('gives back the unused share at commit and all of an expired ticket, once each', async () => {
    let store = openSqliteLedgerStore({ dataDir: dir, initialMarket: market })
    // A free tier of 5000 pays: tickets of 1000, 2000 (expires at 100) and a download of 500.
    expect((await store.reserveOzone(owner, id(1), 1000n, 5000n, 1000)).granted).toBe(true)
    expect((await store.reserveOzone(owner, id(2), 2000n, 5000n, 100)).granted).toBe(true)
    await store.reserveDownload(owner, id(3), 500n, 5000n, 100, () => Uint8Array.of(1))
    expect(await store.reserved(owner)).toBe(3500n)
    // Ticket 1 (1000 bytes) commits a 401-byte file: 401 kept, 599 back; once.
    expect(await store.commitUpload(id(1), 401n, 1000n)).toBe(599n)
    expect(await store.commitUpload(id(1), 1n, 1000n)).toBe(0n)
    expect(await store.reserved(owner)).toBe(2901n)
    // A download ticket is not an upload's: nothing changes.
    expect(await store.commitUpload(id(3), 0n, 500n)).toBe(0n)
    await store.close()

    // After a restart: ticket 2 expired uncommitted, so all of it goes back; the download's stays.
    store = openSqliteLedgerStore({ dataDir: dir, initialMarket: market })
    const refunds = createUploadRefunds({}, { store, logger: quietLogger, now: () => 200_000 })
    expect(await refunds.releaseExpired()).toBe(2000n)
    expect(await refunds.releaseExpired()).toBe(0n)
    expect(await store.reserved(owner)).toBe(901n)
    // The committed ticket 1 is never released again, even once expired.
    const late = createUploadRefunds({}, { store, logger: quietLogger, now: () => 2_000_000 })
    expect(await late.releaseExpired()).toBe(0n)
    expect(await store.reserved(owner)).toBe(901n)
    await store.close()
  })

  it('commits through the refunds part with the ticket itself', async () => {
    const store = openSqliteLedgerStore({ dataDir: dir, initialMarket: market })
    const meta = generateKeyPair()
    const ticket = issueTicket(
      {
        kind: 'upload',
        network: 31337,
        owner,
        holder: owner,
        bytesAllowed: 4096n,
        expiresAt: 10_000,
      },
      meta,
    )
    await store.reserveOzone(owner, ticket.id, 4096n, 10_000n, 10_000)
    await createUploadRefunds({}, { store, logger: quietLogger }).committed(ticket, 1024)
    expect(await store.reserved(owner)).toBe(1024n)
    await store.close()
  })
})
