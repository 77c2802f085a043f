import {
  computeFileHash,
  computeSliceHash,
  DecodeError,
  encodeReceipt,
  generateKeyPair,
  RECEIPT_BYTES,
  signReceipt,
} from '@stratos-edge/core'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  decodeErrorMessage,
  decodeIndexRequest,
  decodeIndexResponse,
  encodeErrorMessage,
  encodeIndexRequest,
  encodeIndexResponse,
  IndexOp,
  type IndexRequest,
  type IndexResponse,
  MAX_RECEIPTS_PER_SUBMIT,
  MessageWriter,
  NoRewardError,
  type TrafficIndexOp,
  type TrafficStatus,
} from '../src/index.js'

const fileHash = computeFileHash(new TextEncoder().encode('hello traffic'))
const sliceHash = computeSliceHash(1, new Uint8Array([1, 2, 3]), fileHash)
const downloader = generateKeyPair()
const provider = generateKeyPair()
const receipt = encodeReceipt(
  signReceipt(
    {
      network: 31337,
      epoch: 3,
      provider: provider.evmAddress,
      fileHash,
      sliceHash,
      bytes: 1000,
      ticketId: `0x${'ab'.repeat(32)}`,
      nonce: 1n,
    },
    downloader,
  ),
)
const account = Uint8Array.from({ length: 20 }, (_, i) => i + 1)
const CHECKSUMMED = /^0x[0-9a-fA-F]{40}$/

const status: TrafficStatus = {
  network: 31337,
  genesisMs: 1_700_000_000_000,
  epochMs: 600_000,
  currentEpoch: 12,
  lateWindowMs: 120_000,
  trafficRewards: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
  epochs: [
    {
      epoch: 10,
      bytes: 5_000_000,
      receipts: 3,
      reward: '123456789012345678901234567890',
      settled: true,
      rootPosted: true,
      claimed: false,
    },
    { epoch: 11, bytes: 0, receipts: 0, reward: '0', settled: false, rootPosted: false, claimed: false },
  ],
  pending: '0',
  claimable: '123456789012345678901234567890',
  claimed: '7',
}

function roundTripResponse(res: IndexResponse): IndexResponse {
  return decodeIndexResponse(encodeIndexResponse(res), res.op)
}

describe('Proof of Traffic index messages', () => {
  it('requests round-trip', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 300 }),
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }),
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        fc.uint8Array({ minLength: 20, maxLength: 20 }),
        (request, receipts, epoch, acct) => {
          const reqs: IndexRequest[] = [
            { op: IndexOp.REQUEST_DOWNLOAD_TICKET, request },
            { op: IndexOp.SUBMIT_RECEIPTS, receipts },
            { op: IndexOp.TRAFFIC_STATUS, account: acct },
            { op: IndexOp.TRAFFIC_STATUS },
            { op: IndexOp.REWARD_PROOF, epoch, account: acct },
          ]
          for (const req of reqs) expect(decodeIndexRequest(encodeIndexRequest(req))).toEqual(req)
        },
      ),
      { numRuns: 100 },
    )
    // A full batch of real receipts fits one frame.
    const full = {
      op: IndexOp.SUBMIT_RECEIPTS,
      receipts: Array(MAX_RECEIPTS_PER_SUBMIT).fill(receipt),
    } as const
    const bytes = encodeIndexRequest(full)
    expect(bytes.length).toBeLessThan(MAX_RECEIPTS_PER_SUBMIT * (RECEIPT_BYTES + 3) + 8)
    expect(decodeIndexRequest(bytes)).toEqual(full)
  })

  it('responses round-trip', () => {
    const ticket = { op: IndexOp.REQUEST_DOWNLOAD_TICKET, ticket: Uint8Array.of(1, 2, 3) } as const
    expect(roundTripResponse(ticket)).toEqual(ticket)
    const submitted: IndexResponse = {
      op: IndexOp.SUBMIT_RECEIPTS,
      result: {
        accepted: 5,
        rejected: [
          { index: 0, reason: 'forged' },
          { index: 1023, reason: 'over-claim' },
        ],
      },
    }
    expect(roundTripResponse(submitted)).toEqual(submitted)
    const withAccount = { op: IndexOp.TRAFFIC_STATUS, status } as const
    expect(roundTripResponse(withAccount)).toEqual(withAccount)
    const { trafficRewards: _, ...clockFields } = status
    const clockOnly: IndexResponse = {
      op: IndexOp.TRAFFIC_STATUS,
      status: { ...clockFields, epochs: [], pending: '0', claimable: '0', claimed: '0' },
    }
    expect(roundTripResponse(clockOnly)).toEqual(clockOnly)
    fc.assert(
      fc.property(
        fc.nat(),
        fc.bigInt({ min: 0n, max: (1n << 256n) - 1n }),
        fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { maxLength: 64 }),
        (epoch, amount, hashes) => {
          const proof = hashes.map((h) => `0x${Buffer.from(h).toString('hex')}` as const)
          const res = roundTripResponse({
            op: IndexOp.REWARD_PROOF,
            proof: {
              epoch,
              account: `0x${Buffer.from(account).toString('hex')}`,
              amount: amount.toString(),
              proof,
            },
          })
          if (res.op !== IndexOp.REWARD_PROOF) throw new Error('wrong op')
          expect(res.proof.epoch).toBe(epoch)
          expect(res.proof.account).toMatch(CHECKSUMMED)
          expect(res.proof.account.toLowerCase()).toBe(`0x${Buffer.from(account).toString('hex')}`)
          expect(BigInt(res.proof.amount)).toBe(amount)
          expect(res.proof.proof).toEqual(proof)
        },
      ),
      { numRuns: 100 },
    )
  })

  it('refuses to send what the peer would refuse', () => {
    const tooMany = {
      op: IndexOp.SUBMIT_RECEIPTS,
      receipts: Array(MAX_RECEIPTS_PER_SUBMIT + 1).fill(receipt),
    } as const
    expect(() => encodeIndexRequest(tooMany)).toThrow(
      expect.objectContaining({ name: 'InvalidArgumentError' }),
    )
    expect(() =>
      encodeIndexRequest({ op: IndexOp.REWARD_PROOF, epoch: 1, account: new Uint8Array(19) }),
    ).toThrow(expect.objectContaining({ name: 'InvalidArgumentError' }))
    expect(() =>
      encodeIndexResponse({ op: IndexOp.TRAFFIC_STATUS, status: { ...status, pending: '1.5' } }),
    ).toThrow(expect.objectContaining({ name: 'InvalidArgumentError' }))
    expect(() =>
      encodeIndexResponse({
        op: IndexOp.REWARD_PROOF,
        proof: { epoch: 1, account: '0x0000000000000000000000000000000000000001', amount: '-1', proof: [] },
      }),
    ).toThrow(expect.objectContaining({ name: 'InvalidArgumentError' }))
  })

  it('malformed requests and responses are DecodeErrors', () => {
    const w = (op: number, f: (m: MessageWriter) => void) => {
      const m = new MessageWriter().u8(op)
      f(m)
      return m.finish()
    }
    const badRequests = [
      // more receipts than a batch takes, declared before anything is read
      w(IndexOp.SUBMIT_RECEIPTS, (m) => m.varint(MAX_RECEIPTS_PER_SUBMIT + 1)),
      // one oversized receipt
      w(IndexOp.SUBMIT_RECEIPTS, (m) => m.varint(1).bytes(new Uint8Array(513))),
      // an account of 19 or 21 bytes
      w(IndexOp.TRAFFIC_STATUS, (m) => m.raw(new Uint8Array(19))),
      w(IndexOp.TRAFFIC_STATUS, (m) => m.raw(new Uint8Array(21))),
      w(IndexOp.REWARD_PROOF, (m) => m.varint(3).raw(new Uint8Array(19))),
      w(IndexOp.REQUEST_DOWNLOAD_TICKET, (m) => m.bytes(new Uint8Array(600))),
      // a type nobody knows
      Uint8Array.of(0x33),
    ]
    for (const b of badRequests) expect(() => decodeIndexRequest(b)).toThrow(DecodeError)
    const statusFrame = (text: string) => w(IndexOp.TRAFFIC_STATUS | 0x80, (m) => m.string(text))
    const badResponses: [Uint8Array, TrafficIndexOp][] = [
      [statusFrame('not json'), IndexOp.TRAFFIC_STATUS],
      [statusFrame('null'), IndexOp.TRAFFIC_STATUS],
      [statusFrame(JSON.stringify({ ...statusOf(), network: -1 })), IndexOp.TRAFFIC_STATUS],
      [statusFrame(JSON.stringify({ ...statusOf(), pending: 12 })), IndexOp.TRAFFIC_STATUS],
      [statusFrame(JSON.stringify({ ...statusOf(), trafficRewards: '0x12' })), IndexOp.TRAFFIC_STATUS],
      [statusFrame(JSON.stringify({ ...statusOf(), epochs: {} })), IndexOp.TRAFFIC_STATUS],
      [statusFrame(JSON.stringify({ ...statusOf(), epochs: [{ epoch: 1 }] })), IndexOp.TRAFFIC_STATUS],
      [
        w(IndexOp.SUBMIT_RECEIPTS | 0x80, (m) =>
          m.varint(1).varint(1).varint(MAX_RECEIPTS_PER_SUBMIT).string('x'),
        ),
        IndexOp.SUBMIT_RECEIPTS,
      ],
      [
        w(IndexOp.REWARD_PROOF | 0x80, (m) => m.varint(1).raw(account).string('12a').varint(0)),
        IndexOp.REWARD_PROOF,
      ],
      [
        w(IndexOp.REWARD_PROOF | 0x80, (m) => m.varint(1).raw(account).string('1').varint(65)),
        IndexOp.REWARD_PROOF,
      ],
      [
        w(IndexOp.REWARD_PROOF | 0x80, (m) =>
          m.varint(1).raw(account).string('1').varint(1).raw(new Uint8Array(31)),
        ),
        IndexOp.REWARD_PROOF,
      ],
      // the answer to another request
      [
        encodeIndexResponse({ op: IndexOp.REQUEST_DOWNLOAD_TICKET, ticket: new Uint8Array(3) }),
        IndexOp.SUBMIT_RECEIPTS,
      ],
    ]
    for (const [b, op] of badResponses) expect(() => decodeIndexResponse(b, op), `${op}`).toThrow(DecodeError)
  })

  it('arbitrary bytes and truncations give only DecodeError', () => {
    const ops = [
      IndexOp.REQUEST_DOWNLOAD_TICKET,
      IndexOp.SUBMIT_RECEIPTS,
      IndexOp.TRAFFIC_STATUS,
      IndexOp.REWARD_PROOF,
    ] as const
    fc.assert(
      fc.property(fc.constantFrom(...ops), fc.uint8Array({ maxLength: 300 }), (op, tail) => {
        for (const decode of [
          () => decodeIndexRequest(Uint8Array.of(op, ...tail)),
          () => decodeIndexResponse(Uint8Array.of(op | 0x80, ...tail), op),
        ]) {
          try {
            decode()
          } catch (err) {
            expect((err as Error).name).toBe(DecodeError.name)
          }
        }
      }),
      { numRuns: 500 },
    )
    const full = encodeIndexResponse({ op: IndexOp.TRAFFIC_STATUS, status })
    for (let n = 1; n < full.length; n += 7)
      expect(() => decodeIndexResponse(full.subarray(0, n), IndexOp.TRAFFIC_STATUS)).toThrow(DecodeError)
    const sub = encodeIndexRequest({ op: IndexOp.SUBMIT_RECEIPTS, receipts: [receipt, receipt] })
    for (let n = 1; n < sub.length; n += 11)
      expect(() => decodeIndexRequest(sub.subarray(0, n))).toThrow(DecodeError)
  })

  it('a missing reward keeps its name across an ERROR frame', () => {
    const back = decodeErrorMessage(encodeErrorMessage(new NoRewardError('no reward in epoch 3', 'wait')))
    expect(back.name).toBe('NoRewardError')
  })
})

function statusOf(): Record<string, unknown> {
  return JSON.parse(JSON.stringify(status)) as Record<string, unknown>
}
