import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  computeFileHash,
  decodeManifestDelete,
  encodeManifestDelete,
  generateKeyPair,
  privateKeySigner,
  signManifestDelete,
  verifyManifestDelete,
} from '../src/index.js'

describe('manifest delete', () => {
  it('round-trips and verifies for its owner, network and time', async () => {
    const key = generateKeyPair()
    const fileHash = await computeFileHash(new TextEncoder().encode('hello stratos'))
    const del = await signManifestDelete(
      { network: 137, fileHash, signedAt: 1000 },
      privateKeySigner(key.privateKey),
    )
    const back = decodeManifestDelete(encodeManifestDelete(del))
    expect(back).toEqual(del)
    expect(() => verifyManifestDelete(back, { network: 137, now: 1100 })).not.toThrow()
    expect(() => verifyManifestDelete(back, { now: 1100 })).not.toThrow()
    expect(() => verifyManifestDelete(back, { network: 1, now: 1100 })).toThrow(
      expect.objectContaining({ name: 'WrongNetworkError' }),
    )
    expect(() => verifyManifestDelete(back, { network: 137, now: 2000 })).toThrow(
      expect.objectContaining({ name: 'DeleteExpiredError' }),
    )
  })

  it('accepts a delete signed at most 30 s ahead of the clock, refuses one further ahead', async () => {
    const key = generateKeyPair()
    const fileHash = await computeFileHash(new TextEncoder().encode('ahead'))
    const del = await signManifestDelete(
      { network: 0, fileHash, signedAt: 1000 },
      privateKeySigner(key.privateKey),
    )
    expect(() => verifyManifestDelete(del, { now: 970 })).not.toThrow() // signed 30 s ahead
    expect(() => verifyManifestDelete(del, { now: 1300 })).not.toThrow() // 300 s behind
    // 31 s and 300 s ahead: a replay could delete a file uploaded again before then.
    for (const now of [969, 700]) {
      expect(() => verifyManifestDelete(del, { now })).toThrow(
        expect.objectContaining({ name: 'DeleteExpiredError' }),
      )
    }
  })

  it('refuses a delete of one owner signed by another', async () => {
    const owner = generateKeyPair()
    const other = generateKeyPair()
    const fileHash = await computeFileHash(new Uint8Array(3))
    const forged = await signManifestDelete(
      { network: 0, fileHash, signedAt: 5 },
      privateKeySigner(other.privateKey),
    )
    const claimed = { ...forged, owner: owner.evmAddress }
    expect(() => verifyManifestDelete(claimed, { now: 5 })).toThrow(
      expect.objectContaining({ name: 'NotOwnerError' }),
    )
  })

  it('decodes garbage only to DecodeError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        try {
          decodeManifestDelete(bytes)
        } catch (err) {
          expect((err as Error).name).toMatch(/DecodeError|UnsupportedVersionError|InvalidAddressError/)
        }
      }),
    )
  })
})
