// The prepay offer: a stand-in light node whose `put` fails with `InsufficientOzoneError` until the owner
// has a prepayment on a real local Polygon (anvil, the real StoragePayments), and the widget's offer flow
// that prepays through @stratos-edge/polygon-bridge and goes on with the upload.
import { InsufficientOzoneError } from '@stratos-edge/core'
import type { PutOptions, PutResult } from '@stratos-edge/light-node'
import { connectWithPrivateKey, createBridgeClient } from '@stratos-edge/polygon-bridge'
import { fundDemoWallet, type LocalChains, startLocalChains } from '@stratos-edge/polygon-bridge/local'
import { type HDNodeWallet, Wallet } from 'ethers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type MediaFile, uploadNft } from '../src/nft-upload.js'
import { formatStos, ozoneShortOf, parseStos, uploadWithPrepayOffer } from '../src/ozone-offer.js'
import { prepayOzone } from '../src/ozone-prepay.js'

const STOS = 10n ** 18n

describe('ozoneShortOf and STOS amounts', () => {
  it("reads the owner and the shortfall from the error's fields, not its message", () => {
    const short = ozoneShortOf(
      new InsufficientOzoneError('Ozone short', 'Prepay STOS', {
        owner: 'st1rfjz7r3u8t65teavh5utquj3kwvsj983l3hnfd',
        shortfallBytes: 4900n,
      }),
    )
    expect(short?.name).toBe('OzoneShortError')
    expect(short?.owner).toBe('st1rfjz7r3u8t65teavh5utquj3kwvsj983l3hnfd')
    expect(short?.shortfallBytes).toBe(4900n)
    expect(short?.message).toMatch(/4900 bytes short/)
    expect(ozoneShortOf(new Error('boom'))).toBeUndefined()
    // As it arrives across the worker boundary: a plain Error with the name and the fields copied on.
    const crossed = Object.assign(new Error('0xabc has 1 ozone: 7 short'), {
      name: 'InsufficientOzoneError',
      owner: '0xabc',
      shortfallBytes: 7n,
    })
    expect(ozoneShortOf(crossed)).toMatchObject({ owner: '0xabc', shortfallBytes: 7n })
    // Without fields nothing is guessed from the message.
    expect(ozoneShortOf(new InsufficientOzoneError('0xabc is 7 bytes short'))).toMatchObject({
      owner: undefined,
      shortfallBytes: undefined,
    })
  })

  it('parses and formats decimal STOS', () => {
    expect(parseStos('10')).toBe(10n * STOS)
    expect(parseStos('2.5')).toBe(25n * 10n ** 17n)
    expect(parseStos('0')).toBeUndefined()
    expect(parseStos('-1')).toBeUndefined()
    expect(parseStos('1e3')).toBeUndefined()
    expect(formatStos(25n * 10n ** 17n)).toBe('2.5')
    expect(formatStos(10n * STOS)).toBe('10')
  })
})

describe('the prepay offer on a real local Polygon', () => {
  let chains: LocalChains
  let creator: HDNodeWallet
  let payerKey: string

  beforeAll(async () => {
    chains = await startLocalChains()
    creator = Wallet.createRandom()
    payerKey = creator.privateKey
    // The creator's wallet gets STOS and gas on "Polygon" and one small prepayment (1 STOS).
    await fundDemoWallet(chains, {
      wallet: { address: creator.address, privateKey: creator.privateKey },
      prepay: STOS,
    })
  }, 120_000)
  afterAll(async () => {
    await chains?.stop()
  })

  const bridge = () =>
    createBridgeClient({ ethereum: payer(), polygon: payer(), addresses: chains.addresses })
  const payer = () =>
    connectWithPrivateKey({
      rpcUrl: chains.polygon.rpcUrl,
      chainId: chains.polygon.chainId,
      privateKey: payerKey,
    })
  const prepaid = async () =>
    (await bridge().prepaymentsOf(creator.address)).reduce((sum, p) => sum + p.amount, 0n)

  /** A light node whose meta service credits ozone only past `needed` STOS prepaid on the chain. */
  function payingNode(needed: bigint) {
    const puts: string[] = []
    let refusals = 0
    return {
      puts,
      refusals: () => refusals,
      async put(file: Blob | Uint8Array, options: PutOptions = {}): Promise<PutResult> {
        if ((await prepaid()) < needed) {
          refusals++
          throw new InsufficientOzoneError('Ticket refused: ozone short', 'Prepay STOS', {
            owner: creator.address,
            shortfallBytes: 49000n,
          })
        }
        const size = file instanceof Blob ? file.size : file.byteLength
        puts.push(options.name ?? '')
        const fileHash = `v05j1m5hash${puts.length}`
        return {
          fileHash,
          uri: `sdm://st1owner/${fileHash}`,
          owner: 'st1owner',
          size,
          slices: 1,
          replicas: ['p'],
          forwardedTo: [],
          gatewayUrl: `https://gw.example/v1/files/sdm://st1owner/${fileHash}`,
        }
      },
    }
  }
  const media = (): MediaFile[] => [
    { role: 'image', file: new File(['png'], 'a.png', { type: 'image/png' }) },
  ]

  it('offers, prepays (approve + prepay) on Polygon, and goes on with the upload', async () => {
    const before = await prepaid()
    const stosBefore = await bridge().stosBalance('polygon', creator.address)
    const node = payingNode(before + 5n * STOS)
    const offers: { owner: string | undefined; shortfall: bigint | undefined; amount: bigint }[] = []
    const receipts: bigint[] = []
    const result = await uploadWithPrepayOffer({
      upload: () => uploadNft({ node, media: media(), input: { name: 'Ship' }, tokenUri: 'https' }),
      amount: 5n * STOS,
      offer: async (short, amount) => {
        offers.push({ owner: short.owner, shortfall: short.shortfallBytes, amount })
        return true
      },
      prepay: (beneficiary, amount) =>
        prepayOzone({ payer: payer(), network: chains.addresses, beneficiary, amount }),
      onPrepaid: (r) => receipts.push(r.paymentId),
      retryDelayMs: 50,
    })
    expect(offers).toEqual([{ owner: creator.address, shortfall: 49000n, amount: 5n * STOS }])
    expect(receipts).toHaveLength(1)
    expect(node.refusals()).toBe(1)
    expect(node.puts).toEqual(['a.png', 'metadata.json'])
    expect(result.tokenURI).toMatch(/^https:\/\/gw\.example\//)
    expect(await prepaid()).toBe(before + 5n * STOS)
    expect(await bridge().stosBalance('polygon', creator.address)).toBe(stosBefore - 5n * STOS)
    const last = (await bridge().prepaymentsOf(creator.address)).at(-1)
    expect(last).toMatchObject({ beneficiary: creator.address, payer: creator.address, amount: 5n * STOS })
  })

  it('declined: the shortfall is the error, and nothing is paid', async () => {
    const before = await prepaid()
    const node = payingNode(before + 1n)
    let paid = false
    const run = uploadWithPrepayOffer({
      upload: () => uploadNft({ node, media: media(), input: { name: 'Ship' }, tokenUri: 'https' }),
      amount: STOS,
      offer: async () => false,
      prepay: async (beneficiary, amount) => {
        paid = true
        return prepayOzone({ payer: payer(), network: chains.addresses, beneficiary, amount })
      },
    })
    await expect(run).rejects.toMatchObject({ name: 'OzoneShortError', shortfallBytes: 49000n })
    expect(paid).toBe(false)
    expect(await prepaid()).toBe(before)
  })

  it('a payer without STOS: PrepayFailedError, and the upload is not tried again', async () => {
    const before = await prepaid()
    const node = payingNode(before + 1n)
    const broke = Wallet.createRandom()
    const run = uploadWithPrepayOffer({
      upload: () => uploadNft({ node, media: media(), input: { name: 'Ship' }, tokenUri: 'https' }),
      amount: STOS,
      offer: async () => true,
      prepay: (beneficiary, amount) =>
        prepayOzone({
          payer: connectWithPrivateKey({
            rpcUrl: chains.polygon.rpcUrl,
            chainId: chains.polygon.chainId,
            privateKey: broke.privateKey,
          }),
          network: chains.addresses,
          beneficiary,
          amount,
        }),
    })
    await expect(run).rejects.toMatchObject({ name: 'PrepayFailedError' })
    expect(node.refusals()).toBe(1)
    expect(await prepaid()).toBe(before)
  })
})
