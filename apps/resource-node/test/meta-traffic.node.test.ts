// The meta service's Proof of Traffic on its real stores (ledger and settlement in node:sqlite), with a
// clock the test moves: the owner pays a download ticket's reservation, an epoch's traffic is charged
// once, what the ticket never used comes back after it expired, and the CLI's committee key files.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { peerIdFromString } from '@libp2p/peer-id'
import {
  computeSliceHash,
  decodeTicket,
  encodeDownloadTicketRequest,
  encodeReceipt,
  generateKeyPair,
  privateKeySigner,
  signDownloadTicketRequest,
  signReceipt,
} from '@stratos-edge/core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { readCommitteeKeys } from '../src/cli/cli.js'
import { openSqliteLedgerStore } from '../src/ledger/index.js'
import { createMetaTraffic, type MetaTraffic } from '../src/meta/meta-traffic.js'
import { makeFile, owner, quietLogger, type TestFile } from './helpers.js'

const NETWORK = 31337
const EPOCH_S = 60
const context = {
  peer: peerIdFromString('12D3KooWGRUVh9qAkR3RNu3s5ZJJeBNhxG6LvUtfE6dN7wxtTQtT'),
  remoteAddr: '/ip4/127.0.0.1/tcp/1',
}

describe('meta service traffic', () => {
  let dir: string
  let traffic: MetaTraffic | undefined
  let ledger: ReturnType<typeof openSqliteLedgerStore>
  let file: TestFile
  const clock = { now: 1_800_000_000_000 }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stratos-meta-traffic-'))
    ledger = openSqliteLedgerStore({
      dataDir: dir,
      initialMarket: {
        totalDeposit: 10n ** 21n,
        unissuedPrepay: 10n ** 20n,
        remainingOzoneLimit: 10n ** 12n,
      },
    })
    file = await makeFile(100_000, 65_536)
    traffic = await createMetaTraffic(
      {
        network: NETWORK,
        epochSeconds: EPOCH_S,
        lateWindowSeconds: 10,
        freeOzone: 1_000_000n,
        downloadTicketSeconds: 600,
        verifierThreads: 0,
      },
      {
        dataDir: dir,
        key: generateKeyPair(),
        ledger,
        manifest: async (h) => (h === file.manifest.fileHash ? file.manifestBytes : undefined),
        logger: quietLogger,
        now: () => clock.now,
      },
    )
  })
  afterEach(async () => {
    await traffic?.stop()
    await ledger.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('reserves the owner’s ozone, charges the epoch once, gives back what the ticket never used', async () => {
    const t = traffic as MetaTraffic
    const downloader = generateKeyPair()
    const provider = generateKeyPair()
    const request = await signDownloadTicketRequest(
      { network: NETWORK, fileHash: file.manifest.fileHash, expiresAt: clock.now / 1000 + 60 },
      privateKeySigner(downloader.privateKey),
    )
    const ticket = decodeTicket(await t.requestDownloadTicket(encodeDownloadTicketRequest(request), context))
    expect(ticket.owner).toBe(owner.evmAddress)
    expect(ticket.bytesAllowed).toBe(200_000n)
    expect(await ledger.reserved(owner.evmAddress)).toBe(200_000n)
    // Another's file, or a file nobody stored: typed errors.
    const unknown = await signDownloadTicketRequest(
      {
        network: NETWORK,
        fileHash: (await makeFile(10, 16_384)).manifest.fileHash,
        expiresAt: clock.now / 1000 + 60,
      },
      privateKeySigner(downloader.privateKey),
    )
    await expect(
      t.requestDownloadTicket(encodeDownloadTicketRequest(unknown), context),
    ).rejects.toMatchObject({
      name: 'SliceNotFoundError',
    })
    // Beyond the free tier: refused, nothing reserved.
    const big = await makeFile(900_000, 65_536)
    const greedy = await createMetaTraffic(
      { network: NETWORK, epochSeconds: EPOCH_S, freeOzone: 1_000_000n, verifierThreads: 0 },
      {
        dataDir: join(dir, 'other'),
        key: generateKeyPair(),
        ledger,
        manifest: async () => big.manifestBytes,
        logger: quietLogger,
        now: () => clock.now,
      },
    )
    const bigRequest = await signDownloadTicketRequest(
      { network: NETWORK, fileHash: big.manifest.fileHash, expiresAt: clock.now / 1000 + 60 },
      privateKeySigner(downloader.privateKey),
    )
    await expect(
      greedy.requestDownloadTicket(encodeDownloadTicketRequest(bigRequest), context),
    ).rejects.toMatchObject({
      name: 'InsufficientOzoneError',
    })
    await greedy.stop()
    expect(await ledger.reserved(owner.evmAddress)).toBe(200_000n)

    const epoch = Math.floor(clock.now / (EPOCH_S * 1000))
    const sliceHash = computeSliceHash(1, new Uint8Array([1]), file.manifest.fileHash)
    const receipt = encodeReceipt(
      signReceipt(
        {
          network: NETWORK,
          epoch,
          provider: provider.evmAddress,
          fileHash: file.manifest.fileHash,
          sliceHash,
          bytes: 30_000,
          ticketId: ticket.id,
          nonce: 1n,
        },
        downloader,
      ),
    )
    expect(await t.submitReceipts([receipt, new Uint8Array(7)], context)).toEqual({
      accepted: 1,
      rejected: [{ index: 1, reason: 'malformed' }],
    })
    // The epoch's late window closes: settled, 30 000 noz charged once, from the reservation.
    clock.now = (epoch + 1) * EPOCH_S * 1000 + 11_000
    await t.tick()
    await t.tick()
    expect(await ledger.balance(owner.evmAddress)).toBe(-30_000n)
    expect(await ledger.reserved(owner.evmAddress)).toBe(170_000n)
    const status = await t.trafficStatus(provider.evmAddress, context)
    expect(status.epochs).toHaveLength(1)
    expect(status.epochs[0]).toMatchObject({
      epoch,
      bytes: 30_000,
      receipts: 1,
      settled: true,
      rootPosted: false,
    })
    expect(BigInt(status.pending)).toBeGreaterThan(0n)
    const proof = await t.rewardProof(epoch, provider.evmAddress, context)
    expect(proof?.amount).toBe(status.epochs[0]?.reward)
    // The ticket expires; once no epoch it could back is open, its unused 170 000 come back.
    clock.now = ticket.expiresAt * 1000 + EPOCH_S * 1000 + 11_000
    await t.tick()
    expect(await ledger.reserved(owner.evmAddress)).toBe(0n)
    expect(await ledger.balance(owner.evmAddress)).toBe(-30_000n)
    expect(t.counters.epochsSettled).toBe(1)
  })

  it('gives a downloader its live ticket again, and limits ticket requests per peer', async () => {
    const limited = await createMetaTraffic(
      {
        network: NETWORK,
        epochSeconds: EPOCH_S,
        freeOzone: 10n ** 9n,
        downloadTicketSeconds: 600,
        downloadTicketRate: { perSecond: 1, burst: 3 },
        verifierThreads: 0,
      },
      {
        dataDir: join(dir, 'limited'),
        key: generateKeyPair(),
        ledger,
        manifest: async (h) => (h === file.manifest.fileHash ? file.manifestBytes : undefined),
        logger: quietLogger,
        now: () => clock.now,
      },
    )
    const ask = async (who: ReturnType<typeof generateKeyPair>, from = context) => {
      const request = await signDownloadTicketRequest(
        { network: NETWORK, fileHash: file.manifest.fileHash, expiresAt: clock.now / 1000 + 60 },
        privateKeySigner(who.privateKey),
      )
      return decodeTicket(await limited.requestDownloadTicket(encodeDownloadTicketRequest(request), from))
    }
    try {
      const downloader = generateKeyPair()
      // Fresh nonces, same downloader and file: the same ticket, one reservation.
      const first = await ask(downloader)
      expect((await ask(downloader)).id).toBe(first.id)
      expect(await ledger.reserved(owner.evmAddress)).toBe(200_000n)
      // The peer's burst of 3 is spent: refused, nothing reserved, whatever key signs the request.
      await expect(ask(generateKeyPair())).resolves.toBeDefined()
      await expect(ask(generateKeyPair())).rejects.toMatchObject({ name: 'RateLimitedError' })
      expect(await ledger.reserved(owner.evmAddress)).toBe(400_000n)
      // Another peer has its own bucket; a second later this one may ask once more.
      const other = {
        ...context,
        peer: peerIdFromString('12D3KooWJWoaqZhDaoEFshF7Rh1bpY9ohihFhzcW6d69Lr2NASuq'),
      }
      await expect(ask(generateKeyPair(), other)).resolves.toBeDefined()
      clock.now += 1000
      await expect(ask(generateKeyPair())).resolves.toBeDefined()
      await expect(ask(generateKeyPair())).rejects.toMatchObject({ name: 'RateLimitedError' })
      // Past half its lifetime, the downloader's ticket is not handed out again: a new one.
      clock.now += 301_000
      const later = await ask(downloader, other)
      expect(later.id).not.toBe(first.id)
    } finally {
      await limited.stop()
    }
  })

  it('hands a live ticket out again only while no receipt was taken under it', async () => {
    // A used ticket may be near its allowance: a second download under it would be refused by its
    // providers once their receipts pass it (seen in the browser bench's repeated 64 MiB downloads).
    const t = traffic as MetaTraffic
    const downloader = generateKeyPair()
    const ask = async () => {
      const request = await signDownloadTicketRequest(
        { network: NETWORK, fileHash: file.manifest.fileHash, expiresAt: clock.now / 1000 + 60 },
        privateKeySigner(downloader.privateKey),
      )
      return decodeTicket(await t.requestDownloadTicket(encodeDownloadTicketRequest(request), context))
    }
    const first = await ask()
    expect((await ask()).id).toBe(first.id)
    const receipt = signReceipt(
      {
        network: NETWORK,
        epoch: Math.floor(clock.now / (EPOCH_S * 1000)),
        provider: generateKeyPair().evmAddress,
        fileHash: file.manifest.fileHash,
        sliceHash: computeSliceHash(1, new Uint8Array([1]), file.manifest.fileHash),
        bytes: 100_000,
        ticketId: first.id,
        nonce: 1n,
      },
      downloader,
    )
    expect((await t.submitReceipts([encodeReceipt(receipt)], context)).accepted).toBe(1)
    const second = await ask()
    expect(second.id).not.toBe(first.id)
    expect((await ask()).id).toBe(second.id)
    expect(await ledger.reserved(owner.evmAddress)).toBe(400_000n)
  })

  it('reads committee keys from files, several per file', async () => {
    const a = join(dir, 'a.keys')
    const b = join(dir, 'b.key')
    await writeFile(a, `# two keys\n0x${'11'.repeat(32)}\n\n0x${'22'.repeat(32)}\n`)
    await writeFile(b, `0x${'33'.repeat(32)}`)
    expect(readCommitteeKeys([a, b])).toEqual([
      `0x${'11'.repeat(32)}`,
      `0x${'22'.repeat(32)}`,
      `0x${'33'.repeat(32)}`,
    ])
    await writeFile(b, 'not a key')
    expect(() => readCommitteeKeys([b])).toThrow(/64 hex digits/)
  })
})
