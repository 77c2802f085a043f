// Wallet-owned uploads: the signer reaches every `put`, the owner is reported, and a refused signature is
// a typed error the creator recovers from with Retry (files stored before it are not sent again).
import { defineErrorClass } from '@stratos-edge/core'
import type { PutOptions, PutResult } from '@stratos-edge/light-node'
import { describe, expect, it } from 'vitest'
import { type MediaFile, uploadNft } from '../src/nft-upload.js'
import { resolveWallet } from '../src/wallet.js'

class SignatureRejectedError extends defineErrorClass('SignatureRejectedError') {}
class SigningFailedError extends defineErrorClass('SigningFailedError') {}

const wallet = {
  address: '0x1a642f0e3c3af545e7acbd38b07251b3990914f1' as const,
  signTypedData: async () => new Uint8Array(65),
}

function signingNode() {
  const puts: { name: string | undefined; signer: unknown }[] = []
  return {
    puts,
    failNext: undefined as Error | undefined,
    async put(file: Blob | Uint8Array, options: PutOptions = {}): Promise<PutResult> {
      if (this.failNext) {
        const err = this.failNext
        this.failNext = undefined
        throw err
      }
      puts.push({ name: options.name, signer: options.signer })
      const owner = options.signer ? 'st1rfjz7r3u8t65teavh5utquj3kwvsj983l3hnfd' : 'st1node'
      const fileHash = `v05j1m5hash${puts.length}`
      return {
        fileHash,
        uri: `sdm://${owner}/${fileHash}`,
        owner,
        size: file instanceof Blob ? file.size : file.byteLength,
        slices: 1,
        replicas: ['p'],
        forwardedTo: [],
      }
    },
  }
}

const media = (): MediaFile[] => [{ role: 'image', file: new File(['png'], 'a.png', { type: 'image/png' }) }]

describe('wallet-owned uploads', () => {
  it('passes the wallet to every put and reports its st1 as the owner of media and metadata', async () => {
    const node = signingNode()
    const result = await uploadNft({
      node,
      signer: wallet,
      media: media(),
      input: { name: 'Ship' },
      tokenUri: 'sdm',
    })
    expect(node.puts).toEqual([
      { name: 'a.png', signer: wallet },
      { name: 'metadata.json', signer: wallet },
    ])
    expect(result.owner).toBe('st1rfjz7r3u8t65teavh5utquj3kwvsj983l3hnfd')
    expect(result.tokenURI).toBe('sdm://st1rfjz7r3u8t65teavh5utquj3kwvsj983l3hnfd/v05j1m5hash2')
    expect(result.metadata.image).toBe('sdm://st1rfjz7r3u8t65teavh5utquj3kwvsj983l3hnfd/v05j1m5hash1')
  })

  it('without a wallet the node key owns the upload (no signer sent)', async () => {
    const node = signingNode()
    const result = await uploadNft({ node, media: media(), input: { name: 'Ship' }, tokenUri: 'sdm' })
    expect(node.puts.map((p) => p.signer)).toEqual([undefined, undefined])
    expect(result.owner).toBe('st1node')
  })

  it('a refused signature is WalletRejectedError; Retry signs again without resending stored media', async () => {
    const node = signingNode()
    const items = media()
    const init = { node, signer: wallet, media: items, input: { name: 'Ship' }, tokenUri: 'sdm' as const }
    await uploadNft(init) // media and metadata stored…
    node.puts.length = 0
    items.push({ role: 'animation_url', file: new File(['mp4'], 'a.mp4', { type: 'video/mp4' }) })
    node.failNext = new SignatureRejectedError('User rejected the request')
    await expect(uploadNft(init)).rejects.toMatchObject({ name: 'WalletRejectedError' })
    expect(node.puts).toEqual([])
    const again = await uploadNft(init)
    expect(node.puts.map((p) => p.name)).toEqual(['a.mp4', 'metadata.json'])
    expect(again.media.map((m) => m.name)).toEqual(['a.png', 'a.mp4'])
  })

  it('any other wallet failure is WalletSigningError', async () => {
    const node = signingNode()
    node.failNext = new SigningFailedError('Wallet locked')
    await expect(
      uploadNft({ node, signer: wallet, media: media(), input: { name: 'Ship' }, tokenUri: 'sdm' }),
    ).rejects.toMatchObject({ name: 'WalletSigningError' })
  })
})

describe('resolveWallet', () => {
  const ethereum = { request: async () => null }
  it('uses the signer property first, then wallet="injected" (window.ethereum), else none', () => {
    expect(resolveWallet({ attribute: 'injected', signer: wallet, global: { ethereum } })).toBe(wallet)
    expect(resolveWallet({ attribute: 'injected', signer: undefined, global: { ethereum } })).toBe(ethereum)
    expect(resolveWallet({ attribute: null, signer: undefined, global: { ethereum } })).toBeUndefined()
  })
  it('wallet="injected" without a wallet in the browser is WalletNotFoundError', () => {
    expect(() => resolveWallet({ attribute: 'injected', signer: undefined, global: {} })).toThrow(
      expect.objectContaining({ name: 'WalletNotFoundError' }),
    )
  })
})
