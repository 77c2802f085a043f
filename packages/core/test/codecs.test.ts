// Property tests for every codec: a round trip gives back the input, and truncated or garbage input
// gives a typed error (a StratosEdgeError subclass, recognised by name), never another exception.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  base32hex,
  buildVolumeReport,
  computeFileHash,
  createManifest,
  decodeManifest,
  decodeReceipt,
  decodeTicket,
  decodeVolumeReport,
  encodeManifest,
  encodeReceipt,
  encodeTicket,
  encodeVolumeReport,
  fileHashFromBytes,
  issueTicket,
  keyPairFromPrivateKey,
  MIN_SLICE_SIZE,
  parseFileHash,
  parseSdmUri,
  parseSliceHash,
  signManifest,
  signReceipt,
  sliceFile,
  sliceHashFromBytes,
  toEvmAddress,
} from '../src/index.js'

const TYPED_ERRORS = new Set([
  'DecodeError',
  'UnsupportedVersionError',
  'InvalidManifestError',
  'InvalidSignatureError',
  'InvalidFileHashError',
  'InvalidSliceHashError',
  'InvalidSdmUriError',
  'InvalidAddressError',
])

/** Runs `fn`; an error it throws must be typed. Returns whether it threw. */
function threwTyped(fn: () => unknown): boolean {
  try {
    fn()
    return false
  } catch (err) {
    const { name, message } = err as Error
    expect(TYPED_ERRORS.has(name), `untyped error: ${name}: ${message}`).toBe(true)
    return true
  }
}

function expectTypedFailure(fn: () => unknown): void {
  expect(threwTyped(fn), 'expected a typed error, got a result').toBe(true)
}

/** Decoding either succeeds or fails with a typed error; never anything else. */
function expectDecodesOrTypedError(fn: () => unknown): void {
  threwTyped(fn)
}

const owner = keyPairFromPrivateKey(`0x${'11'.repeat(32)}`)
const meta = keyPairFromPrivateKey(`0x${'22'.repeat(32)}`)
const downloader = keyPairFromPrivateKey(`0x${'33'.repeat(32)}`)

describe('base32hex', () => {
  it('round-trips any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        expect(base32hex.decode(base32hex.encode(bytes))).toEqual(bytes)
      }),
    )
  })
  it('rejects characters outside the alphabet and non-canonical tails', () => {
    expect(base32hex.decode('w')).toBeUndefined()
    expect(base32hex.decode('V0')).toBeUndefined()
    expect(base32hex.decode('01')).toBeUndefined() // 10 bits, the last 2 not zero
  })
})

describe('ids', () => {
  it('file and slice hashes round-trip through bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (data) => {
        const fh = computeFileHash(data)
        expect(fileHashFromBytes(fromCid(fh))).toBe(fh)
      }),
      { numRuns: 50 },
    )
  })

  it('garbage strings give typed errors', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 120 }), (text) => {
        expectDecodesOrTypedError(() => parseFileHash(text))
        expectDecodesOrTypedError(() => parseSliceHash(text))
        expectDecodesOrTypedError(() => parseSdmUri(text))
        expectDecodesOrTypedError(() => parseSdmUri(`sdm://${text}`))
      }),
      { numRuns: 300 },
    )
  })

  it('truncated, extended or mutated ids give typed errors', () => {
    const fh = computeFileHash(new TextEncoder().encode('hello stratos'))
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: fh.length - 1 }),
        fc.constantFrom('x', 'V', '0', ''),
        (cut, extra) => {
          const bad = fh.slice(0, cut) + extra
          if (bad !== fh) expectDecodesOrTypedError(() => parseFileHash(bad))
        },
      ),
    )
    expectTypedFailure(() => parseFileHash(fh.slice(0, -1)))
    expectTypedFailure(() => parseFileHash(`${fh}0`))
    expectTypedFailure(() => parseSliceHash(fh)) // a file hash is not a slice hash
    expectTypedFailure(() => fileHashFromBytes(new Uint8Array(24)))
    expectTypedFailure(() => sliceHashFromBytes(new Uint8Array(3)))
    expectTypedFailure(() => parseFileHash(42 as unknown as string))
  })
})

function fromCid(fh: string): Uint8Array {
  const bytes = base32hex.decode(fh.slice(1))
  if (!bytes) throw new Error('bad test input')
  return bytes
}

async function sampleManifest(size: number, extras: { name?: string; mimeType?: string } = {}) {
  const data = new Uint8Array(size).map((_, i) => (i * 31) & 0xff)
  const sliced = await sliceFile(data, { sliceSize: MIN_SLICE_SIZE })
  return signManifest(
    createManifest({ sliced, owner: owner.address, createdAt: 1_700_000_000_000, ...extras }),
    owner.privateKey,
  )
}

describe('manifest codec', () => {
  it('round-trips and is deterministic', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 4 * MIN_SLICE_SIZE }),
        fc.option(fc.string({ maxLength: 50 }), { nil: undefined }),
        fc.option(fc.constantFrom('image/png', 'video/mp4', 'application/json'), { nil: undefined }),
        async (size, name, mimeType) => {
          const m = await sampleManifest(size, {
            ...(name !== undefined ? { name } : {}),
            ...(mimeType ? { mimeType } : {}),
          })
          const bytes = encodeManifest(m)
          const back = decodeManifest(bytes)
          expect(back).toEqual(m)
          expect(encodeManifest(back)).toEqual(bytes)
        },
      ),
      { numRuns: 25 },
    )
  })

  it('every truncation and random garbage gives a typed error', async () => {
    const bytes = encodeManifest(
      await sampleManifest(3 * MIN_SLICE_SIZE + 5, { name: 'a.png', mimeType: 'image/png' }),
    )
    for (let cut = 0; cut < bytes.length; cut++)
      expectTypedFailure(() => decodeManifest(bytes.subarray(0, cut)))
    expectTypedFailure(() => decodeManifest(new Uint8Array([...bytes, 0])))
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (g) =>
        expectDecodesOrTypedError(() => decodeManifest(g)),
      ),
    )
    // Garbage behind a valid header exercises the deeper field checks.
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (g) =>
        expectTypedFailure(() => decodeManifest(new Uint8Array([...bytes.subarray(0, 6), ...g]))),
      ),
    )
  })

  it('any flipped byte is rejected (decode, consistency or signature)', async () => {
    const bytes = encodeManifest(await sampleManifest(2 * MIN_SLICE_SIZE + 1, { name: 'x' }))
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: bytes.length - 1 }),
        fc.integer({ min: 1, max: 255 }),
        (at, mask) => {
          const bad = bytes.slice()
          bad[at] = (bad[at] as number) ^ mask
          expectTypedFailure(() => decodeManifest(bad))
        },
      ),
      { numRuns: 300 },
    )
  })

  it('a huge declared slice count is refused without allocating', async () => {
    const bytes = encodeManifest(await sampleManifest(10))
    const bad = bytes.slice()
    // The slice count varint follows magic(4) version(1) flags(1) fileHash(24) size(8) sliceSize(4).
    bad.set([0xff, 0xff, 0x3f], 42)
    // Refused by the count check itself, before any slice is read.
    expect(() => decodeManifest(bad)).toThrow(/slice count 1048575 exceeds the data/)
  })

  it('non-byte input gives DecodeError, not TypeError', () => {
    for (const input of [null, undefined, new ArrayBuffer(8), 'SEMF', [1, 2, 3]]) {
      for (const decode of [decodeManifest, decodeTicket, decodeReceipt, decodeVolumeReport]) {
        expect(() => decode(input as never)).toThrow(expect.objectContaining({ name: 'DecodeError' }))
      }
    }
  })
})

describe('ticket and receipt codecs', () => {
  const fileHash = computeFileHash(new TextEncoder().encode('x'))
  const ticket = issueTicket(
    {
      kind: 'download',
      network: 137,
      owner: owner.address,
      holder: downloader.address,
      fileHash,
      bytesAllowed: 1n << 30n,
      expiresAt: 2_000_000_000,
    },
    meta,
  )
  const receipt = signReceipt(
    {
      network: 137,
      epoch: 7,
      provider: meta.address,
      fileHash,
      sliceHash: 'v05ahm574f56qmejcvudt1uo4vru3pskpk4usen0' as never,
      bytes: 4096,
      ticketId: ticket.id,
      nonce: 1n,
    },
    downloader,
  )

  it('round-trip', () => {
    expect(decodeTicket(encodeTicket(ticket))).toEqual(ticket)
    expect(decodeReceipt(encodeReceipt(receipt))).toEqual(receipt)
  })

  it('truncation and garbage give typed errors', () => {
    for (const [enc, dec] of [
      [encodeTicket(ticket), decodeTicket],
      [encodeReceipt(receipt), decodeReceipt],
    ] as const) {
      for (let cut = 0; cut < enc.length; cut++) expectTypedFailure(() => dec(enc.subarray(0, cut)))
      expectTypedFailure(() => dec(new Uint8Array([...enc, 1])))
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 300 }), (g) => expectDecodesOrTypedError(() => dec(g))),
      )
    }
  })

  it('volume reports round-trip and reject garbage', () => {
    const { report } = buildVolumeReport(7, [receipt], {
      tickets: new Map([[ticket.id, ticket]]),
      network: 137,
      issuers: [meta.address],
      ticketTime: 1_900_000_000,
    })
    expect(report.entries).toEqual([{ provider: toEvmAddress(meta.address), bytes: 4096n, receipts: 1 }])
    const enc = encodeVolumeReport(report)
    expect(decodeVolumeReport(enc)).toEqual(report)
    for (let cut = 0; cut < enc.length; cut++)
      expectTypedFailure(() => decodeVolumeReport(enc.subarray(0, cut)))
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (g) =>
        expectDecodesOrTypedError(() => decodeVolumeReport(g)),
      ),
    )
  })
})
