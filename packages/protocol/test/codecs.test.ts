import {
  computeFileHash,
  computeSliceHash,
  DecodeError,
  fileHashToBytes,
  InsufficientOzoneError,
} from '@stratos-edge/core'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  decodeErrorMessage,
  decodeFetchRequest,
  decodeIndexRequest,
  decodeIndexResponse,
  decodePushHeader,
  encodeErrorMessage,
  encodeFetchRequest,
  encodeIndexRequest,
  encodeIndexResponse,
  encodePushHeader,
  encodeVarint,
  IndexOp,
  type IndexRequest,
  MAX_MANIFEST_OWNERS,
  MessageReader,
  MessageWriter,
  RateLimitedError,
  readVarint,
} from '../src/index.js'

const fileHash = computeFileHash(new TextEncoder().encode('hello stratos'))
const sliceHash = computeSliceHash(1, new Uint8Array([1, 2, 3]), fileHash)

describe('codecs', () => {
  it('varints round-trip', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (n) => {
        const b = encodeVarint(n)
        expect(readVarint((i) => b[i], b.length)).toEqual({ value: n, length: b.length })
      }),
    )
  })

  it('push headers round-trip', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 32 }),
        fc.integer({ min: 0, max: 32 << 20 }),
        fc.array(
          fc.record({
            peerId: fc.string({ maxLength: 60 }),
            multiaddrs: fc.array(fc.string({ maxLength: 80 }), { maxLength: 4 }),
          }),
          {
            maxLength: 8,
          },
        ),
        (number, size, forward) => {
          const h = { hash: sliceHash, fileHash, number, size, forward }
          expect(decodePushHeader(encodePushHeader(h))).toEqual(h)
        },
      ),
    )
  })

  it('arbitrary bytes never throw anything but DecodeError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        for (const decode of [decodePushHeader, decodeFetchRequest, decodeIndexRequest]) {
          try {
            decode(bytes)
          } catch (err) {
            expect((err as Error).name).toBe(DecodeError.name)
          }
        }
      }),
      { numRuns: 500 },
    )
  })

  it('truncations of valid messages are DecodeErrors', () => {
    const full = encodeFetchRequest({ hash: sliceHash, offset: 12345 })
    for (let n = 0; n < full.length; n++)
      expect(() => decodeFetchRequest(full.subarray(0, n))).toThrow(DecodeError)
    const idx = encodeIndexRequest({ op: IndexOp.LOOKUP, hashes: [sliceHash], limit: 3 })
    expect(decodeIndexRequest(idx)).toEqual({ op: IndexOp.LOOKUP, hashes: [sliceHash], limit: 3 })
    expect(() => decodeIndexRequest(new Uint8Array([...idx, 0]))).toThrow(DecodeError)
  })

  it('counts over their limit are rejected before allocation', () => {
    const r = new MessageReader(encodeVarint(10_000_000), 'x')
    expect(() => r.varint('count', 4096)).toThrow(DecodeError)
  })

  it('index requests and responses round-trip', () => {
    const hashes = [sliceHash, computeSliceHash(2, new Uint8Array([9]), fileHash)]
    const provider = fc.record({
      peerId: fc.string({ maxLength: 60 }),
      multiaddrs: fc.array(fc.string({ maxLength: 100 }), { maxLength: 4 }),
      kind: fc.constantFrom('light' as const, 'resource' as const),
    })
    fc.assert(
      fc.property(
        fc.subarray(hashes),
        fc.constantFrom('light' as const, 'resource' as const),
        fc.nat(),
        fc.boolean(),
        fc.array(provider, { maxLength: 5 }),
        fc.uint8Array({ maxLength: 300 }),
        (hs, kind, freeBytes, replace, providers, manifest) => {
          const reqs: IndexRequest[] = [
            {
              op: IndexOp.ANNOUNCE,
              announcement: { kind, multiaddrs: ['/ip4/1.2.3.4/tcp/1'], freeBytes, replace, hashes: hs },
            },
            { op: IndexOp.WITHDRAW, hashes: hs },
            { op: IndexOp.PLACE, placement: { fileHash, size: freeBytes, replicas: 2, exclude: ['a', 'b'] } },
            { op: IndexOp.PUT_MANIFEST, manifest },
            { op: IndexOp.GET_MANIFEST, fileHash },
            { op: IndexOp.MANIFEST_OWNERS, fileHash },
            { op: IndexOp.RESOURCE_NODES, peerIds: ['12D3KooWa', 'QmPeer'] },
            { op: IndexOp.PUT_MANIFEST, manifest, ticket: Uint8Array.of(1, 2, 3) },
            { op: IndexOp.REQUEST_TICKET, request: manifest.subarray(0, 200) },
            { op: IndexOp.DELETE_MANIFEST, request: manifest.subarray(0, 150) },
          ]
          for (const req of reqs) expect(decodeIndexRequest(encodeIndexRequest(req))).toEqual(req)
          const results = new Map(hs.map((h) => [h, providers]))
          const lookup = { op: IndexOp.LOOKUP, results } as const
          expect(decodeIndexResponse(encodeIndexResponse(lookup), IndexOp.LOOKUP)).toEqual(lookup)
          const place = { op: IndexOp.PLACE, targets: providers } as const
          expect(decodeIndexResponse(encodeIndexResponse(place), IndexOp.PLACE)).toEqual(place)
          const nodes = { op: IndexOp.RESOURCE_NODES, nodes: providers } as const
          expect(decodeIndexResponse(encodeIndexResponse(nodes), IndexOp.RESOURCE_NODES)).toEqual(nodes)
          const ticket = { op: IndexOp.REQUEST_TICKET, ticket: manifest.subarray(0, 200) } as const
          expect(decodeIndexResponse(encodeIndexResponse(ticket), IndexOp.REQUEST_TICKET)).toEqual(ticket)
          for (const dropped of [true, false]) {
            const deleted = { op: IndexOp.DELETE_MANIFEST, dropped } as const
            expect(decodeIndexResponse(encodeIndexResponse(deleted), IndexOp.DELETE_MANIFEST)).toEqual(
              deleted,
            )
          }
        },
      ),
      { numRuns: 200 },
    )
  })

  describe('manifest owners', () => {
    const owner = (n: number) => new Uint8Array(20).fill(n)
    const body = (count: number, ownerBytes: number) => {
      const w = new MessageWriter().u8(IndexOp.MANIFEST_OWNERS | 0x80).varint(count)
      for (let i = 0; i < count; i++) w.raw(new Uint8Array(ownerBytes).fill(i))
      return w.finish()
    }

    it('round-trip: the request is the file hash, the answer up to 16 owners of 20 bytes', () => {
      fc.assert(
        fc.property(
          fc.array(fc.uint8Array({ minLength: 20, maxLength: 20 }), { maxLength: MAX_MANIFEST_OWNERS }),
          (owners) => {
            const res = { op: IndexOp.MANIFEST_OWNERS, owners } as const
            const again = decodeIndexResponse(encodeIndexResponse(res), IndexOp.MANIFEST_OWNERS)
            expect(again).toEqual(res)
          },
        ),
        { numRuns: 100 },
      )
      const req = encodeIndexRequest({ op: IndexOp.MANIFEST_OWNERS, fileHash })
      expect([...req]).toEqual([0x27, fileHashToBytes(fileHash).length, ...fileHashToBytes(fileHash)])
      expect([...encodeIndexResponse({ op: IndexOp.MANIFEST_OWNERS, owners: [] })]).toEqual([0xa7, 0])
    })

    it('writes at most 16 owners (the rest dropped), reads at most 16, and refuses owners not 20 bytes', () => {
      const many = Array.from({ length: MAX_MANIFEST_OWNERS + 4 }, (_, i) => owner(i))
      const sent = decodeIndexResponse(
        encodeIndexResponse({ op: IndexOp.MANIFEST_OWNERS, owners: many }),
        IndexOp.MANIFEST_OWNERS,
      )
      expect(sent).toEqual({ op: IndexOp.MANIFEST_OWNERS, owners: many.slice(0, MAX_MANIFEST_OWNERS) })
      expect(() =>
        encodeIndexResponse({ op: IndexOp.MANIFEST_OWNERS, owners: [owner(1), new Uint8Array(19)] }),
      ).toThrow(expect.objectContaining({ name: 'InvalidArgumentError' }))
      expect(decodeIndexResponse(body(MAX_MANIFEST_OWNERS, 20), IndexOp.MANIFEST_OWNERS)).toMatchObject({
        owners: { length: MAX_MANIFEST_OWNERS },
      })
      // A count over the limit is refused from the count alone, whatever follows.
      expect(() => decodeIndexResponse(body(MAX_MANIFEST_OWNERS + 1, 20), IndexOp.MANIFEST_OWNERS)).toThrow(
        /owner count 17 is over the limit 16/,
      )
      expect(() => decodeIndexResponse(body(2, 20).subarray(0, 2 + 39), IndexOp.MANIFEST_OWNERS)).toThrow(
        DecodeError,
      )
      expect(() => decodeIndexResponse(new Uint8Array([...body(2, 20), 0]), IndexOp.MANIFEST_OWNERS)).toThrow(
        DecodeError,
      )
      // The answer to another request is not taken for this one.
      expect(() => decodeIndexResponse(body(1, 20), IndexOp.GET_MANIFEST)).toThrow(DecodeError)
    })

    it('a malformed request is a DecodeError: truncated or trailing bytes, not a file hash', () => {
      const req = encodeIndexRequest({ op: IndexOp.MANIFEST_OWNERS, fileHash })
      for (let n = 1; n < req.length; n++)
        expect(() => decodeIndexRequest(req.subarray(0, n))).toThrow(DecodeError)
      expect(() => decodeIndexRequest(new Uint8Array([...req, 0]))).toThrow(DecodeError)
      expect(() => decodeIndexRequest(Uint8Array.of(0x27, 3, 1, 2, 3))).toThrow(/invalid file hash/)
    })
  })
})

describe('ticket errors on the wire', () => {
  it('an ozone shortfall keeps its owner and bytes across an ERROR frame', () => {
    const short = new InsufficientOzoneError('0xab has 1 ozone, 8 needed: 7 short', 'Prepay', {
      owner: '0x00000000000000000000000000000000000000ab',
      shortfallBytes: 7n,
    })
    expect(decodeErrorMessage(encodeErrorMessage(short))).toMatchObject({
      name: 'InsufficientOzoneError',
      owner: '0x00000000000000000000000000000000000000ab',
      shortfallBytes: 7n,
    })
    // From a sender that wrote no fields: none.
    const bare = decodeErrorMessage(
      encodeErrorMessage(Object.assign(new Error('x'), { name: 'InsufficientOzoneError' })),
    )
    expect(bare).toMatchObject({ owner: undefined, shortfallBytes: undefined })
  })

  it('each ticket failure keeps its name across an ERROR frame', () => {
    for (const name of [
      'TicketRequiredError',
      'InsufficientOzoneError',
      'InvalidTicketError',
      'TicketExpiredError',
      'WrongNetworkError',
      'TicketBoundError',
    ]) {
      const err = Object.assign(new Error('no'), { name })
      expect(decodeErrorMessage(encodeErrorMessage(err)).name).toBe(name)
    }
  })

  it('a RateLimitedError crosses the wire with its wait', () => {
    const err = new RateLimitedError('slow down', 2500)
    const back = decodeErrorMessage(encodeErrorMessage(err)) as RateLimitedError
    expect(back.name).toBe('RateLimitedError')
    expect(back.retryAfterMs).toBe(2500)
  })
})
