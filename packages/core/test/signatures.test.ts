// Owner signatures must be what an ordinary Ethereum wallet produces: checked against ethers v6.
import { TypedDataEncoder, verifyMessage, verifyTypedData, Wallet } from 'ethers'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  attachManifestSignature,
  createManifest,
  decodeManifest,
  decodeTicket,
  decodeTicketRequest,
  encodeManifest,
  encodeTicket,
  encodeTicketRequest,
  hashTypedData,
  issueTicket,
  keyPairFromPrivateKey,
  manifestPersonalMessage,
  manifestTypedData,
  privateKeySigner,
  recoverPersonalMessageSigner,
  recoverTypedDataSigner,
  signManifest,
  signPersonalMessage,
  signTicketRequest,
  signTypedData,
  sliceFile,
  TICKET_REQUEST_BYTES,
  type TypedData,
  ticketIdOf,
  ticketRequestTypedData,
  ticketTypedData,
  toEip1193TypedData,
  toHex,
  verifyManifest,
  verifyTicket,
  verifyTicketRequest,
} from '../src/index.js'

const keys = keyPairFromPrivateKey(`0x${'42'.repeat(32)}`)
const wallet = new Wallet(toHex(keys.privateKey))
const other = keyPairFromPrivateKey(`0x${'43'.repeat(32)}`)

describe('EIP-191 personal_sign', () => {
  it('ethers verifyMessage recovers our signer, and we recover ethers signatures', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 200 }), async (message) => {
        expect(verifyMessage(message, toHex(signPersonalMessage(message, keys.privateKey)))).toBe(
          keys.evmAddress,
        )
        expect(recoverPersonalMessageSigner(message, await wallet.signMessage(message))).toBe(keys.evmAddress)
      }),
      { numRuns: 20 },
    )
  })
})

describe('EIP-712 typed data', () => {
  const data: TypedData = {
    domain: {
      name: 'Test',
      version: '1',
      chainId: 80002,
      verifyingContract: '0x000000000000000000000000000000000000dEaD',
    },
    types: {
      Person: [
        { name: 'name', type: 'string' },
        { name: 'wallet', type: 'address' },
      ],
      Mail: [
        { name: 'from', type: 'Person' },
        { name: 'to', type: 'Person' },
        { name: 'contents', type: 'string' },
        { name: 'amount', type: 'uint256' },
        { name: 'tag', type: 'bytes32' },
        { name: 'ids', type: 'uint64[]' },
      ],
    },
    primaryType: 'Mail',
    message: {
      from: { name: 'Cow', wallet: '0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826' },
      to: { name: 'Bob', wallet: '0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB' },
      contents: 'Hello, Bob!',
      amount: 10n ** 20n,
      tag: `0x${'ab'.repeat(32)}`,
      ids: [1n, 2n, 3n],
    },
  }

  it('hash equals ethers TypedDataEncoder, with nested structs and arrays', () => {
    expect(toHex(hashTypedData(data))).toBe(
      TypedDataEncoder.hash(data.domain, data.types as never, data.message),
    )
  })

  it('ethers verifyTypedData recovers our signer, and we recover ethers signatures', async () => {
    expect(
      verifyTypedData(
        data.domain,
        data.types as never,
        data.message,
        toHex(signTypedData(data, keys.privateKey)),
      ),
    ).toBe(keys.evmAddress)
    const sig = await wallet.signTypedData(data.domain, data.types as never, data.message)
    expect(recoverTypedDataSigner(data, sig)).toBe(keys.evmAddress)
  })

  it('the eth_signTypedData_v4 payload carries the domain type and decimal bigints', () => {
    const payload = JSON.parse(toEip1193TypedData(data))
    expect(payload.types.EIP712Domain.map((f: { name: string }) => f.name)).toEqual([
      'name',
      'version',
      'chainId',
      'verifyingContract',
    ])
    expect(payload.message.amount).toBe('100000000000000000000')
  })
})

describe('manifest ownership', () => {
  async function unsigned() {
    const sliced = await sliceFile(new TextEncoder().encode('hello stratos'))
    return createManifest({
      sliced,
      owner: keys.address,
      name: 'hello.txt',
      mimeType: 'text/plain',
      createdAt: 1,
    })
  }

  it('a wallet signs the typed data with ethers and the manifest verifies', async () => {
    const m = await unsigned()
    const td = manifestTypedData(m)
    const sig = await wallet.signTypedData(td.domain, td.types as never, td.message)
    const manifest = attachManifestSignature(m, sig, 'eip712')
    expect(decodeManifest(encodeManifest(manifest)).owner).toBe(keys.evmAddress)
  })

  it('a wallet signs with personal_sign and the manifest verifies', async () => {
    const m = await unsigned()
    const sig = await wallet.signMessage(manifestPersonalMessage(m))
    expect(() => attachManifestSignature(m, sig, 'personal_sign')).not.toThrow()
  })

  it('a signature by anyone but the owner is rejected with InvalidSignatureError', async () => {
    const m = await unsigned()
    const forged = signManifest({ ...m, owner: other.evmAddress }, other.privateKey)
    expect(() => verifyManifest({ ...forged, owner: keys.evmAddress })).toThrow(
      expect.objectContaining({ name: 'InvalidSignatureError' }),
    )
    expect(() => attachManifestSignature(m, '0x1234', 'eip712')).toThrow(
      expect.objectContaining({ name: 'InvalidSignatureError' }),
    )
  })

  it('changing any field after signing breaks the signature', async () => {
    const signed = signManifest(await unsigned(), keys.privateKey)
    expect(() => verifyManifest({ ...signed, name: 'other.txt' })).toThrow(
      expect.objectContaining({ name: 'InvalidSignatureError' }),
    )
    expect(() => verifyManifest({ ...signed, createdAt: 2 })).toThrow(
      expect.objectContaining({ name: 'InvalidSignatureError' }),
    )
  })
})

describe('tickets', () => {
  const fileHash = 'v05j1m52c3o7rd6if0b6u23dcoaajjs77tlmkdco' as never
  const init = {
    kind: 'download' as const,
    network: 137,
    owner: keys.address,
    holder: other.address,
    fileHash,
    bytesAllowed: 1000n,
    expiresAt: 100,
  }

  it('are EIP-712 records ethers verifies', () => {
    const t = issueTicket(init, keys)
    const td = ticketTypedData(t)
    expect(verifyTypedData(td.domain, td.types as never, td.message, toHex(t.signature))).toBe(
      keys.evmAddress,
    )
  })

  it('expired, wrong kind, over allowance, forged, unknown issuer and other network are rejected', () => {
    const t = issueTicket(init, keys)
    const ok = { issuers: [keys.address], network: 137, now: 50 }
    expect(() => verifyTicket(t, { ...ok, kind: 'download', bytesUsed: 1000n })).not.toThrow()
    const bad: [Parameters<typeof verifyTicket>[1], string][] = [
      [{ ...ok, now: 100 }, 'TicketExpiredError'],
      [{ ...ok, kind: 'upload' }, 'InvalidTicketError'],
      [{ ...ok, bytesUsed: 1001n }, 'InsufficientOzoneError'],
      [{ ...ok, issuers: [other.address] }, 'InvalidTicketError'],
      [{ ...ok, network: 80002 }, 'WrongNetworkError'],
    ]
    for (const [options, name] of bad)
      expect(() => verifyTicket(t, options)).toThrow(expect.objectContaining({ name }))
    // Edited after signing: the signature no longer recovers to the issuer.
    expect(() => verifyTicket({ ...t, bytesAllowed: 10n ** 9n }, ok)).toThrow(
      expect.objectContaining({ name: 'InvalidTicketError' }),
    )
    // Moved to another network by hand: the domain changes, so the signature does not carry over.
    expect(() => verifyTicket({ ...t, network: 80002 }, { ...ok, network: 80002 })).toThrow(
      expect.objectContaining({ name: 'InvalidTicketError' }),
    )
  })

  it('a ticket forged by a key that is not a meta service is refused', () => {
    const forged = issueTicket(init, other)
    expect(() => verifyTicket(forged, { issuers: [keys.address], network: 137, now: 50 })).toThrow(
      expect.objectContaining({ name: 'InvalidTicketError' }),
    )
  })

  it('upload tickets leave the file out (bound at commit) and sign the network into the domain', () => {
    const t = issueTicket({ ...init, kind: 'upload', fileHash: undefined }, keys)
    expect(t.fileHash).toBeUndefined()
    const td = ticketTypedData(t)
    expect(td.domain.chainId).toBe(137)
    expect(verifyTypedData(td.domain, td.types as never, td.message, toHex(t.signature))).toBe(
      keys.evmAddress,
    )
    expect(decodeTicket(encodeTicket(t))).toEqual(t)
    expect(() => issueTicket({ ...init, fileHash: undefined }, keys)).toThrow(
      expect.objectContaining({ name: 'InvalidTicketError' }),
    )
  })
})

describe('ticket requests', () => {
  it('are signed by the owner through a TypedDataSigner, for one network, until they expire', async () => {
    const r = await signTicketRequest(
      { network: 137, bytes: 1234n, expiresAt: 100 },
      privateKeySigner(keys.privateKey),
    )
    expect(r.owner).toBe(keys.evmAddress)
    expect(decodeTicketRequest(encodeTicketRequest(r))).toEqual(r)
    expect(encodeTicketRequest(r).length).toBe(TICKET_REQUEST_BYTES)
    const td = ticketRequestTypedData(r)
    expect(verifyTypedData(td.domain, td.types as never, td.message, toHex(r.signature))).toBe(
      keys.evmAddress,
    )
    expect(() => verifyTicketRequest(r, { network: 137, now: 50 })).not.toThrow()
    expect(() => verifyTicketRequest(r, { network: 1, now: 50 })).toThrow(
      expect.objectContaining({ name: 'WrongNetworkError' }),
    )
    expect(() => verifyTicketRequest(r, { network: 137, now: 100 })).toThrow(
      expect.objectContaining({ name: 'TicketExpiredError' }),
    )
    // Someone else asking to spend this owner's ozone.
    const stolen = {
      ...(await signTicketRequest(
        { network: 137, bytes: 1234n, expiresAt: 100 },
        privateKeySigner(other.privateKey),
      )),
      owner: keys.evmAddress,
    }
    expect(() => verifyTicketRequest(stolen, { network: 137, now: 50 })).toThrow(
      expect.objectContaining({ name: 'InvalidTicketError' }),
    )
    expect(ticketIdOf(r)).toBe(ticketIdOf({ ...r }))
    expect(ticketIdOf({ ...r, network: 1 })).not.toBe(ticketIdOf(r))
  })

  it('decoding garbage gives typed errors', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (g) => {
        try {
          decodeTicketRequest(g)
        } catch (err) {
          expect(['DecodeError', 'UnsupportedVersionError', 'InvalidAddressError']).toContain(
            (err as Error).name,
          )
        }
      }),
    )
  })
})

describe('signature canonical form', () => {
  const digest = new Uint8Array(32).fill(7)

  it('v given as 0/1 is stored as 27/28, so one record has one encoding', async () => {
    const { recoverAddress, signDigest, signatureToBytes } = await import('../src/index.js')
    const sig = signDigest(digest, keys.privateKey)
    const lowV = sig.slice()
    lowV[64] = (sig[64] as number) - 27
    expect(signatureToBytes(lowV)).toEqual(sig)
    expect(recoverAddress(digest, lowV)).toBe(keys.evmAddress)
    const badV = sig.slice()
    badV[64] = 29
    expect(() => recoverAddress(digest, badV)).toThrow(
      expect.objectContaining({ name: 'InvalidSignatureError' }),
    )
  })

  it('rejects the high-s twin of a valid signature (EIP-2 malleability)', async () => {
    const { recoverAddress, signDigest } = await import('../src/index.js')
    const sig = signDigest(digest, keys.privateKey)
    const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n
    const s = BigInt(toHex(sig.subarray(32, 64)))
    const twin = sig.slice()
    twin.set(Buffer.from((n - s).toString(16).padStart(64, '0'), 'hex'), 32)
    twin[64] = (sig[64] as number) === 27 ? 28 : 27
    expect(() => recoverAddress(digest, twin)).toThrow(
      expect.objectContaining({ name: 'InvalidSignatureError' }),
    )
  })
})
