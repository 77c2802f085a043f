// Browser e2e: the NFT widget with the creator's wallet. The demo page gets an injected EIP-1193 provider
// backed by an anvil dev account (anvil holds the key and answers eth_signTypedData_v4); the widget has
// wallet="injected". A first refused signature is a typed error with Retry; the retry uploads, the demo
// mints, and the tokenURI read from the chain names metadata owned by the wallet's st1, whose image is
// owned by it too and resolves to the dropped bytes.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { toStratosAddress } from '@stratos-edge/core'
import { type AnvilChain, DEMO_NFT_ABI, devAccounts } from '@stratos-edge/polygon-bridge/local'
import { Contract, type InterfaceAbi, type JsonRpcProvider } from 'ethers'
import type { Browser, JSHandle, Page } from 'playwright-core'
import { launchChromium } from './support/browser.ts'
import { type NftDemo, startNftDemo } from './support/nft-demo.ts'
import { ONE_PIXEL_PNG } from './support/one-pixel-png.ts'

const PNG = ONE_PIXEL_PNG

interface WalletWindow {
  demo: {
    upload?: { tokenURI: string; owner: string; media: { uri: string }[] }
    minted?: { tokenId: string; tokenURI: string; metadata: Record<string, unknown> }
    error?: string
  }
  __wallet: { refuseNext: boolean; signRequests: number }
}

let browser: Browser
let demo: NftDemo
let page: Page
let chain: AnvilChain
let provider: JsonRpcProvider
let nftAddress: string
let server: { url: string; close(): Promise<void> }
let account: string

describe('NFT widget with the creator’s wallet', () => {
  before(async () => {
    demo = await startNftDemo()
    ;({ chain, provider, nftAddress, server } = demo)
    account = devAccounts()[4]!.address
    browser = await launchChromium()
    page = await (await browser.newContext()).newPage()
    page.on('pageerror', (err) => process.stderr.write(`[pageerror] ${err.message}\n`))
    // The injected wallet: accounts and signatures from anvil (which holds the dev keys).
    await page.addInitScript(
      ({ rpcUrl, account }) => {
        const state = { refuseNext: false, signRequests: 0 }
        ;(window as unknown as { __wallet: typeof state }).__wallet = state
        ;(window as unknown as { ethereum: unknown }).ethereum = {
          async request({ method, params }: { method: string; params?: unknown[] }) {
            if (method === 'eth_requestAccounts' || method === 'eth_accounts') return [account]
            if (method === 'eth_signTypedData_v4') {
              state.signRequests++
              if (state.refuseNext) {
                state.refuseNext = false
                throw Object.assign(new Error('User rejected the request.'), { code: 4001 })
              }
            }
            const res = await fetch(rpcUrl, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: params ?? [] }),
            })
            const body = (await res.json()) as { result?: unknown; error?: { message: string; code: number } }
            if (body.error) throw Object.assign(new Error(body.error.message), { code: body.error.code })
            return body.result
          },
        }
      },
      { rpcUrl: chain.rpcUrl, account },
    )
    await page.goto(`${server.url}/index.html`)
    await page.waitForFunction(() => document.getElementById('status')?.textContent === 'Ready')
    await page.locator('stratos-nft-uploader').evaluate((el) => el.setAttribute('wallet', 'injected'))
  })

  after(async () => {
    await browser?.close().catch(() => {})
    await demo?.stop()
  })

  test('a refused signature, then Retry: the wallet owns media and metadata, and the token mints', {
    timeout: 240_000,
  }, async () => {
    const st1 = toStratosAddress(account)
    const dataTransfer: JSHandle = await page.evaluateHandle((base64: string) => {
      const dt = new DataTransfer()
      const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))
      dt.items.add(new File([bytes], 'ship.png', { type: 'image/png' }))
      return dt
    }, PNG.toString('base64'))
    await page.locator('stratos-nft-uploader .drop').dispatchEvent('drop', { dataTransfer })
    await dataTransfer.dispose()
    await page.getByLabel('Name (required)').fill('Wallet ship')

    // The creator declines the first signature: a typed, recoverable error.
    await page.evaluate(() => {
      ;(window as unknown as WalletWindow).__wallet.refuseNext = true
    })
    await page.evaluate(() => {
      document.querySelector('stratos-nft-uploader')?.addEventListener('stratos-nft-error', (e) => {
        ;(window as unknown as { __lastError?: string }).__lastError = (
          e as CustomEvent<{ name: string }>
        ).detail.name
      })
    })
    await page.getByRole('button', { name: 'Upload to Stratos' }).click()
    await page.locator('stratos-nft-uploader[state="error"]').waitFor({ timeout: 60_000 })
    assert.equal(
      await page.evaluate(() => (window as unknown as { __lastError?: string }).__lastError),
      'WalletRejectedError',
    )
    assert.match(
      (await page.locator('stratos-nft-uploader .error').textContent()) ?? '',
      /declined the signature/,
    )

    // Retry: the wallet is asked again, and this time signs.
    await page.getByRole('button', { name: 'Upload to Stratos' }).click()
    await page.locator('stratos-nft-uploader[state="done"]').waitFor({ timeout: 120_000 })
    const upload = await page.evaluate(() => (window as unknown as WalletWindow).demo.upload)
    assert.ok(upload)
    assert.equal(upload.owner, st1)
    assert.ok(upload.tokenURI.includes(`sdm://${st1}/`), upload.tokenURI)
    assert.ok(upload.media[0]?.uri.startsWith(`sdm://${st1}/`), upload.media[0]?.uri)
    assert.match((await page.locator('stratos-nft-uploader .owner').textContent()) ?? '', new RegExp(st1))
    const signs = await page.evaluate(() => (window as unknown as WalletWindow).__wallet.signRequests)
    assert.ok(
      signs >= 3,
      `the wallet was asked to sign the refused try, the image and the metadata (${signs})`,
    )

    await page.getByRole('button', { name: 'Mint on Polygon' }).click()
    await page.waitForFunction(
      () => (window as unknown as WalletWindow).demo.minted !== undefined,
      undefined,
      {
        timeout: 60_000,
      },
    )
    const minted = await page.evaluate(() => (window as unknown as WalletWindow).demo.minted)
    assert.ok(minted)
    const nft = new Contract(nftAddress, DEMO_NFT_ABI as unknown as InterfaceAbi, provider)
    const tokenURI = (await nft.getFunction('tokenURI')(minted.tokenId)) as string
    assert.equal(tokenURI, upload.tokenURI)
    assert.ok(tokenURI.includes(`sdm://${st1}/`), 'the metadata is owned by the wallet')
    const metadata = (await (await fetch(tokenURI, { signal: AbortSignal.timeout(30_000) })).json()) as {
      name: string
      image: string
    }
    assert.equal(metadata.name, 'Wallet ship')
    assert.ok(metadata.image.includes(`sdm://${st1}/`), `the image is owned by the wallet: ${metadata.image}`)
    const image = new Uint8Array(
      await (await fetch(metadata.image, { signal: AbortSignal.timeout(30_000) })).arrayBuffer(),
    )
    assert.deepEqual(Buffer.from(image), PNG)
  })
})
