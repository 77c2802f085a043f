import type { Libp2p } from '@libp2p/interface'
import {
  encodeReceipt,
  encodeTicket,
  generateKeyPair,
  issueTicket,
  signReceipt,
  type TrafficReceipt,
} from '@stratos-edge/core'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import {
  createMemoryReceiptHold,
  createMemorySliceStore,
  createReceiptGate,
  fetchSlice,
  pushSlice,
  registerReceiptProtocol,
  registerSliceProtocols,
  sendReceipts,
} from '../src/index.js'
import { createTestNode, makeFile } from './helpers.js'

const NETWORK = 31337

describe('receipt protocol between two real libp2p nodes', () => {
  let provider: Libp2p
  let downloader: Libp2p
  const providerKey = generateKeyPair()
  const downloaderKey = generateKeyPair()
  const hold = createMemoryReceiptHold()
  const gate = createReceiptGate({ graceBytes: 300 * 1024 })
  const file = makeFile(4 * 256 * 1024, 256 * 1024)
  const meta = generateKeyPair()
  const ticketOf = (holder: string, issuer = meta, over: { bytesAllowed?: bigint } = {}) =>
    issueTicket(
      {
        kind: 'download',
        network: NETWORK,
        owner: meta.evmAddress,
        holder,
        fileHash: file.fileHash,
        bytesAllowed: over.bytesAllowed ?? 1n << 30n,
        expiresAt: Math.floor(Date.now() / 1000) + 3600,
      },
      issuer,
    )
  const ticket = ticketOf(downloaderKey.evmAddress)
  const ticketId = ticket.id
  const tickets = [encodeTicket(ticket)]
  let nonce = 0n

  const receipt = (bytes: number, over: Partial<TrafficReceipt> = {}, key = downloaderKey) =>
    encodeReceipt(
      signReceipt(
        {
          network: NETWORK,
          epoch: 7,
          provider: providerKey.evmAddress,
          fileHash: file.fileHash,
          sliceHash: file.slices[0]!.hash,
          bytes,
          ticketId,
          nonce: ++nonce,
          ...over,
        },
        key,
      ),
    )

  beforeAll(async () => {
    provider = await createTestNode()
    downloader = await createTestNode()
    const store = createMemorySliceStore()
    await registerSliceProtocols(provider, {
      store,
      admitReceipts: (_req, peer) => gate.check(peer.toString()),
      onSliceServed: (info) => gate.served(info.peer.toString(), info.bytes),
    })
    await registerReceiptProtocol(provider, {
      network: NETWORK,
      provider: providerKey.evmAddress,
      issuers: [meta.evmAddress],
      hold,
      gate,
    })
    for (const s of file.slices) await pushSlice(downloader, provider.getMultiaddrs(), s)
  })

  afterAll(async () => {
    await Promise.all([provider?.stop(), downloader?.stop()])
  })

  it('an empty batch tells the downloader whom to name', async () => {
    const reply = await sendReceipts(downloader, provider.getMultiaddrs(), [])
    expect(reply).toEqual({ provider: providerKey.evmAddress, network: NETWORK, accepted: 0, rejected: [] })
  })

  it('a downloader that stops signing is refused past the grace, and served again once it signs', async () => {
    const target = provider.getMultiaddrs()
    await fetchSlice(downloader, target, file.slices[0]!.hash)
    await fetchSlice(downloader, target, file.slices[1]!.hash)
    // the provider counts a slice once its stream closed
    await vi.waitFor(() => expect(gate.owed(downloader.peerId.toString())).toBe(512 * 1024))
    // 512 KiB served, 300 KiB grace: the next fetch is refused with the typed error.
    await expect(fetchSlice(downloader, target, file.slices[2]!.hash)).rejects.toMatchObject({
      name: 'ReceiptsOverdueError',
    })
    const reply = await sendReceipts(downloader, target, [receipt(512 * 1024)], { tickets })
    expect(reply.accepted).toBe(1)
    const got = await fetchSlice(downloader, target, file.slices[2]!.hash)
    expect(got.data.length).toBe(256 * 1024)
  })

  it('keeps only the newest cumulative receipt per downloader, ticket and epoch', async () => {
    const target = provider.getMultiaddrs()
    const newer = receipt(768 * 1024)
    const older = receipt(100, { nonce: 1n })
    const shrunk = receipt(600 * 1024)
    const reply = await sendReceipts(downloader, target, [newer, newer, older, shrunk], { tickets })
    // the same receipt twice is a duplicate (accepted, counted once)
    expect(reply.accepted).toBe(2)
    expect(reply.rejected).toEqual([
      { index: 2, reason: 'stale' },
      { index: 3, reason: 'not-cumulative' },
    ])
    const held = await hold.list()
    expect(held).toHaveLength(1)
    expect(held[0]!.receipt.bytes).toBe(768 * 1024)
    expect(held[0]!.state).toBe('pending')
    expect(gate.owed(downloader.peerId.toString())).toBe(0)
  })

  it('refuses forged, misaddressed and foreign-network receipts without holding them', async () => {
    const target = provider.getMultiaddrs()
    const forged = receipt(900 * 1024)
    forged[forged.length - 10]! ^= 0xff
    const other = generateKeyPair()
    const reply = await sendReceipts(
      downloader,
      target,
      [
        forged,
        receipt(900 * 1024, { provider: other.evmAddress }),
        receipt(900 * 1024, { network: 137 }),
        new Uint8Array(214),
      ],
      { tickets },
    )
    expect(reply.accepted).toBe(0)
    expect(reply.rejected.map((r) => r.reason)).toEqual([
      'forged',
      'wrong-provider',
      'wrong-network',
      'malformed',
    ])
    const held = await hold.list()
    expect(held).toHaveLength(1)
    expect(held[0]!.receipt.bytes).toBe(768 * 1024)
  })

  it('credits no receipt without a real ticket of its signer, and pins a peer to one downloader', async () => {
    const target = provider.getMultiaddrs()
    const me = downloader.peerId.toString()
    const before = gate.owed(me)
    const stranger = generateKeyPair()
    const huge = 2 ** 40
    // A fresh key signs for a made-up ticket id, then for a ticket it issued itself.
    const madeUp = receipt(huge, { ticketId: `0x${'ee'.repeat(32)}` }, stranger)
    const selfIssued = ticketOf(stranger.evmAddress, stranger)
    const selfSigned = receipt(huge, { ticketId: selfIssued.id }, stranger)
    // A real ticket, but of someone else than the receipt's signer.
    const theirs = ticketOf(generateKeyPair().evmAddress)
    const notHolder = receipt(huge, { ticketId: theirs.id }, stranger)
    // The downloader's own ticket, claiming more than it covers.
    const small = ticketOf(downloaderKey.evmAddress, meta, { bytesAllowed: 1000n })
    const overClaim = receipt(2000, { ticketId: small.id })
    const reply = await sendReceipts(downloader, target, [madeUp, selfSigned, notHolder, overClaim], {
      tickets: [encodeTicket(selfIssued), encodeTicket(theirs), encodeTicket(small)],
    })
    expect(reply.accepted).toBe(0)
    expect(reply.rejected.map((r) => r.reason)).toEqual([
      'unknown-ticket',
      'unknown-ticket',
      'not-ticket-holder',
      'over-claim',
    ])
    // A real ticket of the stranger, sent by the downloader's peer: it already signs as another key.
    const strangers = ticketOf(stranger.evmAddress)
    const pinned = await sendReceipts(
      downloader,
      target,
      [receipt(4096, { ticketId: strangers.id }, stranger)],
      {
        tickets: [encodeTicket(strangers)],
      },
    )
    expect(pinned.rejected.map((r) => r.reason)).toEqual(['not-ticket-holder'])
    expect(gate.owed(me)).toBe(before)
    expect((await hold.list()).map((h) => h.receipt.bytes)).toEqual([768 * 1024])
    expect((await hold.list())[0]!.ticketExpiresAt).toBe(ticket.expiresAt)
  })
})
