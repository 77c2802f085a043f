// Download ticket requests are signed by the downloader's key or wallet: checked against ethers v6.
import { verifyTypedData } from 'ethers'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  computeFileHash,
  DOWNLOAD_TICKET_REQUEST_BYTES,
  decodeDownloadTicketRequest,
  downloadTicketIdOf,
  downloadTicketRequestTypedData,
  encodeDownloadTicketRequest,
  keyPairFromPrivateKey,
  privateKeySigner,
  requestedOwnerOf,
  signDownloadTicketRequest,
  ticketIdOf,
  toHex,
  verifyDownloadTicketRequest,
} from '../src/index.js'

const downloader = keyPairFromPrivateKey(`0x${'42'.repeat(32)}`)
const other = keyPairFromPrivateKey(`0x${'43'.repeat(32)}`)
const fileHash = computeFileHash(new TextEncoder().encode('a public NFT'))

describe('download ticket requests', () => {
  it('are signed by the downloader, for one network and file, until they expire', async () => {
    const r = await signDownloadTicketRequest(
      { network: 137, fileHash, expiresAt: 100 },
      privateKeySigner(downloader.privateKey),
    )
    expect(r.downloader).toBe(downloader.evmAddress)
    expect(r.fileHash).toBe(fileHash)
    expect(requestedOwnerOf(r)).toBeUndefined()
    const bytes = encodeDownloadTicketRequest(r)
    expect(bytes.length).toBe(DOWNLOAD_TICKET_REQUEST_BYTES)
    expect(decodeDownloadTicketRequest(bytes)).toEqual(r)
    const td = downloadTicketRequestTypedData(r)
    expect(verifyTypedData(td.domain, td.types as never, td.message, toHex(r.signature))).toBe(
      downloader.evmAddress,
    )
    expect(() => verifyDownloadTicketRequest(r, { network: 137, now: 50 })).not.toThrow()
    expect(() => verifyDownloadTicketRequest(r, { network: 1, now: 50 })).toThrow(
      expect.objectContaining({ name: 'WrongNetworkError' }),
    )
    expect(() => verifyDownloadTicketRequest(r, { network: 137, now: 100 })).toThrow(
      expect.objectContaining({ name: 'TicketExpiredError' }),
    )
    // A request claimed for another downloader, or changed after signing, does not verify.
    const stolen = { ...r, downloader: other.evmAddress }
    expect(() => verifyDownloadTicketRequest(stolen, { network: 137, now: 50 })).toThrow(
      expect.objectContaining({ name: 'InvalidTicketError' }),
    )
    const otherFile = { ...r, fileHash: computeFileHash(new TextEncoder().encode('another file')) }
    expect(() => verifyDownloadTicketRequest(otherFile, { network: 137, now: 50 })).toThrow(
      expect.objectContaining({ name: 'InvalidTicketError' }),
    )
    // The same request names the same ticket; another network or nonce another one, and never an
    // upload ticket's id.
    expect(downloadTicketIdOf(r)).toBe(downloadTicketIdOf({ ...r }))
    expect(downloadTicketIdOf({ ...r, network: 1 })).not.toBe(downloadTicketIdOf(r))
    expect(downloadTicketIdOf(r)).not.toBe(ticketIdOf({ network: 137, owner: r.downloader, nonce: r.nonce }))
  })

  it('may name the manifest owner the downloader reads', async () => {
    const r = await signDownloadTicketRequest(
      { network: 137, fileHash, owner: other.evmAddress.toLowerCase() },
      privateKeySigner(downloader.privateKey),
    )
    expect(requestedOwnerOf(r)).toBe(other.evmAddress)
    expect(decodeDownloadTicketRequest(encodeDownloadTicketRequest(r))).toEqual(r)
    expect(() =>
      verifyDownloadTicketRequest({ ...r, owner: downloader.evmAddress }, { network: 137, now: 50 }),
    ).toThrow(expect.objectContaining({ name: 'InvalidTicketError' }))
  })

  it('decoding garbage or truncations gives typed errors', async () => {
    const r = await signDownloadTicketRequest(
      { network: 137, fileHash },
      privateKeySigner(downloader.privateKey),
    )
    const good = encodeDownloadTicketRequest(r)
    const names = ['DecodeError', 'UnsupportedVersionError', 'InvalidAddressError']
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }),
          fc.nat(good.length - 1).map((n) => good.subarray(0, n)),
          fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 1, max: 255 })).map(([i, x]) => {
            const b = good.slice()
            b[i] = (b[i] as number) ^ x
            return b
          }),
        ),
        (g) => {
          try {
            decodeDownloadTicketRequest(g)
          } catch (err) {
            expect(names).toContain((err as Error).name)
          }
        },
      ),
    )
    expect(() => decodeDownloadTicketRequest(good.subarray(0, 100))).toThrow(
      expect.objectContaining({ name: 'DecodeError' }),
    )
  })
})
