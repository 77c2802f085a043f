// kill -9 of the meta node (the built CLI, signatures on worker threads) in the middle of an epoch:
// after a restart on the same data directory, the receipts acknowledged before the kill are held, the
// provider's resubmission counts nothing twice, the epoch settles to the exact bytes, and the owner's
// ozone is charged once, also across another restart.
import type { Libp2p } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import {
  computeSliceHash,
  decodeTicket,
  encodeDownloadTicketRequest,
  encodeReceipt,
  encodeTicketRequest,
  generateKeyPair,
  privateKeySigner,
  signDownloadTicketRequest,
  signReceipt,
  signTicketRequest,
} from '@stratos-edge/core'
import { createIndexClient, type IndexClient } from '@stratos-edge/protocol'
import { afterAll, describe, expect, it } from 'vitest'
import { type SpawnedResourceNode, spawnResourceNode } from '../src/index.js'
import { openSqliteLedgerStore } from '../src/ledger/index.js'
import { createClient, makeFile, owner, tempDir, until } from './helpers.js'

const NETWORK = 31337
const EPOCH_SECONDS = 20

describe('kill -9 of the meta node mid-epoch', () => {
  const cleanups: (() => Promise<void>)[] = []
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c()
  })

  it('keeps acknowledged receipts, counts none twice, charges the epoch once', async () => {
    const { dir, cleanup } = await tempDir('meta-kill-9')
    cleanups.push(cleanup)
    const args = [
      'start',
      ...['--meta', '--data-dir', dir, '--tcp-port', '0', '--ws-port', '0', '--http-port', '0'],
      ...['--network', String(NETWORK), '--free-ozone', '1g', '--log-level', 'error'],
      ...['--epoch-seconds', String(EPOCH_SECONDS), '--late-window-seconds', '2'],
    ]
    let node: SpawnedResourceNode = await spawnResourceNode({ args, timeoutMs: 60_000 })
    cleanups.push(() => node.stop())
    const peer: Libp2p = await createClient()
    cleanups.push(async () => {
      await peer.stop()
    })
    const indexOf = (n: SpawnedResourceNode): IndexClient =>
      createIndexClient(peer, multiaddr(n.ready.wsMultiaddrs[0] as string))
    let index = indexOf(node)

    const file = await makeFile(100_000, 65_536)
    const upload = await signTicketRequest(
      { network: NETWORK, bytes: 100_000n },
      privateKeySigner(owner.privateKey),
    )
    await index.putManifest(file.manifestBytes, {
      ticket: await index.requestTicket(encodeTicketRequest(upload)),
    })
    const downloader = generateKeyPair()
    const provider = generateKeyPair()
    const request = await signDownloadTicketRequest(
      { network: NETWORK, fileHash: file.manifest.fileHash },
      privateKeySigner(downloader.privateKey),
    )
    const ticket = decodeTicket(await index.requestDownloadTicket(encodeDownloadTicketRequest(request)))

    // At the start of an epoch, so it stays open across the kill and the restart.
    const clock = await index.trafficStatus()
    const epochOf = (t: number) => Math.floor((t - clock.genesisMs) / clock.epochMs)
    const nextStart = (epochOf(Date.now()) + 1) * clock.epochMs + clock.genesisMs
    await new Promise((r) => setTimeout(r, nextStart - Date.now() + 50))
    const epoch = epochOf(Date.now())
    const sliceHash = computeSliceHash(1, new Uint8Array([1]), file.manifest.fileHash)
    const receipt = (bytes: number, nonce: bigint) =>
      encodeReceipt(
        signReceipt(
          {
            network: NETWORK,
            epoch,
            provider: provider.evmAddress,
            fileHash: file.manifest.fileHash,
            sliceHash,
            bytes,
            ticketId: ticket.id,
            nonce,
          },
          downloader,
        ),
      )
    const acknowledged = receipt(60_000, 1n)
    expect(await index.submitReceipts([acknowledged])).toEqual({ accepted: 1, rejected: [] })

    node.child.kill('SIGKILL')
    await new Promise((r) => node.child.once('exit', r))
    node = await spawnResourceNode({ args, timeoutMs: 60_000 })
    index = indexOf(node)
    // Held across the kill.
    const held = await index.trafficStatus(provider.evmAddress)
    expect(held.epochs).toEqual([
      { epoch, bytes: 60_000, receipts: 1, reward: '0', settled: false, rootPosted: false, claimed: false },
    ])
    // The provider resubmits what it was unsure of (twice), and the newer cumulative one: duplicates
    // are not refused, and count once.
    const newer = receipt(150_000, 2n)
    expect(await index.submitReceipts([acknowledged, newer, acknowledged])).toEqual({
      accepted: 3,
      rejected: [],
    })
    // A nonce reused with other bytes, and a newer nonce with fewer bytes: neither counts.
    expect(await index.submitReceipts([receipt(10_000, 1n), receipt(10_000, 3n)])).toEqual({
      accepted: 0,
      rejected: [
        { index: 0, reason: 'replayed' },
        { index: 1, reason: 'not-cumulative' },
      ],
    })

    let status = held
    await until(async () => {
      status = await index.trafficStatus(provider.evmAddress)
      return status.epochs[0]?.settled === true
    }, 60_000)
    expect(status.epochs[0]).toMatchObject({ epoch, bytes: 150_000, receipts: 1 })
    expect(BigInt(status.pending)).toBeGreaterThan(0n)
    // Charged once, from the free tier: stop, restart (another settlement tick), read the ledger.
    await node.stop()
    node = await spawnResourceNode({ args, timeoutMs: 60_000 })
    await new Promise((r) => setTimeout(r, 1500))
    await node.stop()
    const ledger = openSqliteLedgerStore({
      dataDir: dir,
      initialMarket: { totalDeposit: 1n, unissuedPrepay: 0n, remainingOzoneLimit: 1n },
    })
    expect(await ledger.balance(owner.evmAddress)).toBe(-150_000n)
    await ledger.close()
  }, 180_000)
})
