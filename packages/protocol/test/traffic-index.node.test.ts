import type { Libp2p } from '@libp2p/interface'
import {
  computeSliceHash,
  DecodeError,
  decodeDownloadTicketRequest,
  decodeReceipt,
  encodeDownloadTicketRequest,
  encodeReceipt,
  encodeTicket,
  generateKeyPair,
  issueTicket,
  privateKeySigner,
  signDownloadTicketRequest,
  signReceipt,
  verifyDownloadTicketRequest,
} from '@stratos-edge/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  closeWithError,
  createIndexClient,
  FrameReader,
  INDEX_PROTOCOL,
  type IndexBackend,
  indexOpName,
  MAX_INDEX_FRAME_BYTES,
  MAX_RECEIPTS_PER_SUBMIT,
  registerIndexProtocol,
  type TrafficStatus,
} from '../src/index.js'
import { createTestNode, makeFile } from './helpers.js'

const NETWORK = 31337
const meta = generateKeyPair()
const owner = generateKeyPair()
const downloader = generateKeyPair()
const provider = generateKeyPair()
const { fileHash } = makeFile(1000, 16384)
const sliceHash = computeSliceHash(1, new Uint8Array([1]), fileHash)

describe('Proof of Traffic requests between real libp2p nodes', () => {
  let server: Libp2p
  let client: Libp2p
  const ops: string[] = []
  /** The receipt batch sizes the backend saw. */
  const batches: number[] = []

  beforeAll(async () => {
    server = await createTestNode()
    client = await createTestNode()
    const backend: IndexBackend = {
      requestDownloadTicket(bytes) {
        const req = decodeDownloadTicketRequest(bytes)
        verifyDownloadTicketRequest(req, { network: NETWORK, now: Math.floor(Date.now() / 1000) })
        const ticket = issueTicket(
          {
            kind: 'download',
            network: NETWORK,
            owner: owner.evmAddress,
            holder: req.downloader,
            fileHash: req.fileHash,
            bytesAllowed: 2000n,
            expiresAt: req.expiresAt + 3600,
          },
          meta,
        )
        return encodeTicket(ticket)
      },
      submitReceipts(receipts) {
        batches.push(receipts.length)
        const rejected: { index: number; reason: string }[] = []
        receipts.forEach((b, index) => {
          if (decodeReceipt(b).bytes > 1000) rejected.push({ index, reason: 'over-claim' })
        })
        return { accepted: receipts.length - rejected.length, rejected }
      },
      trafficStatus(account): TrafficStatus {
        const clock = {
          network: NETWORK,
          genesisMs: 1000,
          epochMs: 60_000,
          currentEpoch: 4,
          lateWindowMs: 12_000,
        }
        if (!account) return { ...clock, epochs: [], pending: '0', claimable: '0', claimed: '0' }
        return {
          ...clock,
          trafficRewards: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
          epochs: [
            {
              epoch: 3,
              bytes: 1000,
              receipts: 1,
              reward: '10',
              settled: true,
              rootPosted: true,
              claimed: false,
            },
          ],
          pending: '0',
          claimable: account === provider.evmAddress ? '10' : '0',
          claimed: '0',
        }
      },
      rewardProof(epoch, account) {
        if (epoch !== 3 || account !== provider.evmAddress) return undefined
        return { epoch, account, amount: '10', proof: [`0x${'11'.repeat(32)}`] }
      },
    }
    await registerIndexProtocol(server, { backend, onRequest: (op) => ops.push(indexOpName(op)) })
  })

  afterAll(async () => {
    await Promise.all([server?.stop(), client?.stop()])
  })

  it('a downloader-signed request buys a download ticket', async () => {
    const index = createIndexClient(client, server.getMultiaddrs())
    const req = await signDownloadTicketRequest(
      { network: NETWORK, fileHash },
      privateKeySigner(downloader.privateKey),
    )
    const bytes = await index.requestDownloadTicket(encodeDownloadTicketRequest(req))
    const { decodeTicket } = await import('@stratos-edge/core')
    const ticket = decodeTicket(bytes)
    expect(ticket).toMatchObject({
      kind: 'download',
      holder: downloader.evmAddress,
      owner: owner.evmAddress,
      fileHash,
    })
    // Signed for another network: the typed error crosses the wire.
    const wrong = await signDownloadTicketRequest(
      { network: 1, fileHash },
      privateKeySigner(downloader.privateKey),
    )
    await expect(index.requestDownloadTicket(encodeDownloadTicketRequest(wrong))).rejects.toMatchObject({
      name: 'WrongNetworkError',
    })
  })

  it('receipts go in batches of 1024; rejections keep their index in the whole list', async () => {
    const index = createIndexClient(client, server.getMultiaddrs())
    const sign = (bytes: number, nonce: bigint) =>
      encodeReceipt(
        signReceipt(
          {
            network: NETWORK,
            epoch: 3,
            provider: provider.evmAddress,
            fileHash,
            sliceHash,
            bytes,
            ticketId: `0x${'ab'.repeat(32)}`,
            nonce,
          },
          downloader,
        ),
      )
    const ok = sign(1000, 1n)
    const over = sign(5000, 2n)
    const receipts = Array.from({ length: MAX_RECEIPTS_PER_SUBMIT + 5 }, (_, i) =>
      i === 3 || i === 1026 ? over : ok,
    )
    const from = batches.length
    const result = await index.submitReceipts(receipts)
    expect(batches.slice(from)).toEqual([MAX_RECEIPTS_PER_SUBMIT, 5])
    expect(result).toEqual({
      accepted: receipts.length - 2,
      rejected: [
        { index: 3, reason: 'over-claim' },
        { index: 1026, reason: 'over-claim' },
      ],
    })
  })

  it('status with and without an account; a reward proof, or NoRewardError', async () => {
    const index = createIndexClient(client, server.getMultiaddrs())
    const clock = await index.trafficStatus()
    expect(clock).toEqual({
      network: NETWORK,
      genesisMs: 1000,
      epochMs: 60_000,
      currentEpoch: 4,
      lateWindowMs: 12_000,
      epochs: [],
      pending: '0',
      claimable: '0',
      claimed: '0',
    })
    const mine = await index.trafficStatus(provider.evmAddress.toLowerCase())
    expect(mine.claimable).toBe('10')
    expect(mine.epochs).toHaveLength(1)
    const proof = await index.rewardProof(3, provider.evmAddress.toLowerCase())
    expect(proof).toEqual({
      epoch: 3,
      account: provider.evmAddress,
      amount: '10',
      proof: [`0x${'11'.repeat(32)}`],
    })
    await expect(index.rewardProof(2, provider.evmAddress)).rejects.toMatchObject({ name: 'NoRewardError' })
    expect(ops.slice(-4)).toEqual(['traffic_status', 'traffic_status', 'reward_proof', 'reward_proof'])
  })

  it('a node without the meta service, or from before the requests, answers UnsupportedOperationError', async () => {
    const bare = await createTestNode()
    const old = await createTestNode()
    try {
      await registerIndexProtocol(bare, { backend: {} })
      await old.handle(INDEX_PROTOCOL, async (stream) => {
        const reader = new FrameReader(stream, { maxFrameBytes: MAX_INDEX_FRAME_BYTES })
        const body = await reader.next()
        reader.release()
        await closeWithError(
          stream,
          new DecodeError(
            `Malformed index request: unknown request type 0x${body?.[0]?.toString(16)}`,
            'Send a valid message',
          ),
        )
      })
      for (const peer of [bare, old]) {
        const index = createIndexClient(client, peer.getMultiaddrs())
        const calls = [
          () => index.requestDownloadTicket(new Uint8Array(10)),
          () => index.submitReceipts([new Uint8Array(10)]),
          () => index.trafficStatus(),
          () => index.rewardProof(1, provider.evmAddress),
        ]
        for (const call of calls)
          await expect(call()).rejects.toMatchObject({ name: 'UnsupportedOperationError' })
      }
    } finally {
      await Promise.all([bare.stop(), old.stop()])
    }
  })
})
