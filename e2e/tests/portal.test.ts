// Browser e2e of the portal app (apps/portal/dist) against a real resource node in the namespace: two
// browser profiles (an upload in one, the download in the other, saved under the manifest's name and
// type), typed errors in plain words, the budget's validation, an axe-core check and screenshots of each
// view at desktop and phone widths (e2e/test-results/portal/, gitignored), withdrawing a file (a confirm
// step, then its gateway URL answers 404), Connect wallet in Earnings binding the node to the wallet
// once, and the honest status once the resource node is stopped.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import AxeBuilder from '@axe-core/playwright'
import { keyPairFromPrivateKey, signTypedData, type TypedData } from '@stratos-edge/core'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { NETNS_ADDRESS } from '../scripts/test-network.mjs'
import { launchChromium } from './support/browser.ts'
import { E2E_NETWORK, type ResourceNode, startResourceNode } from './support/resource-node.ts'
import { serveStatic } from './support/static-server.ts'

const here = dirname(fileURLToPath(import.meta.url))
const portalDist = join(here, '../../apps/portal/dist')
const shots = join(here, '../test-results/portal')
const VIEWS = ['contribute', 'files', 'network', 'earnings'] as const
const WIDTHS = { desktop: { width: 1280, height: 900 }, phone: { width: 390, height: 844 } }

let browser: Browser
let resource: ResourceNode
let server: { url: string; close(): Promise<void> }
let siteDir: string
const contexts: BrowserContext[] = []

async function open(name: string, view: string): Promise<Page> {
  const ctx = await browser.newContext({ acceptDownloads: true }) // its own profile
  contexts.push(ctx)
  const page = await ctx.newPage()
  page.on('pageerror', (err) => process.stderr.write(`[${name} pageerror] ${err.message}\n`))
  await page.goto(`${server.url}/#${view}`)
  await page.locator('#network-status', { hasText: 'Online' }).waitFor({ timeout: 40_000 })
  return page
}

/**
 * A profile whose page has an EIP-1193 wallet: the key stays in the test process, which signs each
 * `eth_signTypedData_v4` the page asks for and records its primary type.
 */
async function openWithWallet(name: string, key: Uint8Array, signed: string[]): Promise<Page> {
  const ctx = await browser.newContext()
  contexts.push(ctx)
  const address = keyPairFromPrivateKey(key).evmAddress
  await ctx.exposeFunction('testWalletSign', (json: string) => {
    const { types, ...rest } = JSON.parse(json) as TypedData
    const { EIP712Domain: _domain, ...structs } = types
    signed.push(rest.primaryType)
    return `0x${Buffer.from(signTypedData({ ...rest, types: structs }, key)).toString('hex')}`
  })
  await ctx.addInitScript((account) => {
    const sign = (window as unknown as { testWalletSign(json: string): Promise<string> }).testWalletSign
    ;(window as unknown as { ethereum: unknown }).ethereum = {
      async request({ method, params }: { method: string; params?: unknown[] }) {
        if (method === 'eth_requestAccounts' || method === 'eth_accounts') return [account]
        if (method === 'eth_signTypedData_v4') return sign(params?.[1] as string)
        throw new Error(`unsupported ${method}`)
      },
    }
  }, address)
  const page = await ctx.newPage()
  page.on('pageerror', (err) => process.stderr.write(`[${name} pageerror] ${err.message}\n`))
  await page.goto(`${server.url}/#files`)
  await page.locator('#network-status', { hasText: 'Online' }).waitFor({ timeout: 40_000 })
  return page
}

async function download(page: Page, ref: string): Promise<void> {
  await page.fill('#download-ref', ref)
  await page.click('#download-form button[type=submit]')
}

describe('portal', () => {
  let uploader: Page
  let reader: Page
  let uri = ''
  const bytes = randomBytes(1_500_000)

  before(async () => {
    mkdirSync(shots, { recursive: true })
    resource = await startResourceNode(NETNS_ADDRESS)
    siteDir = mkdtempSync(join(tmpdir(), 'stratos-e2e-portal-'))
    cpSync(portalDist, siteDir, { recursive: true })
    writeFileSync(
      join(siteDir, 'config.json'),
      JSON.stringify({
        resourceNodes: [resource.wsAddr],
        gatewayUrl: resource.gatewayUrl,
        network: E2E_NETWORK,
      }),
    )
    server = await serveStatic(siteDir, '127.0.0.1')
    browser = await launchChromium()
  })

  after(async () => {
    for (const c of contexts) await c.close().catch(() => {})
    await browser?.close().catch(() => {})
    await server?.close()
    await resource?.stop().catch(() => {})
    rmSync(siteDir, { recursive: true, force: true })
  })

  test('uploads in one profile; the other downloads it with its name and MIME type', async () => {
    uploader = await open('uploader', 'files')
    await uploader.setInputFiles('#upload-file', { name: 'clip.mp4', mimeType: 'video/mp4', buffer: bytes })
    await uploader.click('#upload-form button[type=submit]')
    await uploader.locator('#upload-status', { hasText: 'Uploaded clip.mp4' }).waitFor({ timeout: 60_000 })
    uri = (await uploader.locator('#owned-files code').first().textContent()) ?? ''
    assert.match(uri, /^sdm:\/\/st1[0-9a-z]+\/v05j1m5/)
    assert.match((await uploader.locator('#owned-files a').first().getAttribute('href')) ?? '', /^http/)

    reader = await open('reader', 'files')
    const [saved] = await Promise.all([reader.waitForEvent('download'), download(reader, uri)])
    assert.equal(saved.suggestedFilename(), 'clip.mp4')
    assert.ok(readFileSync((await saved.path())!).equals(bytes))
    await reader.locator('#download-status', { hasText: 'Saved clip.mp4 (video/mp4' }).waitFor()
  })

  test('an upload shows bytes, rate and time left, and Cancel stops it', async () => {
    // From disk: a buffer this large is slow to pass over the DevTools protocol.
    const big = join(siteDir, 'big.bin')
    writeFileSync(big, randomBytes(48 * 1024 * 1024))
    await uploader.setInputFiles('#upload-file', big)
    await uploader.click('#upload-form button[type=submit]')
    const progress = uploader.locator('#upload-progress')
    await progress.getByText(/of 50\.3 MB · .* left/).waitFor({ timeout: 20_000 })
    await progress.getByRole('button', { name: 'Cancel' }).click()
    await uploader.locator('#upload-error', { hasText: 'Upload cancelled.' }).waitFor({ timeout: 20_000 })
    assert.equal(await uploader.locator('#owned-files li').count(), 1) // only clip.mp4
  })

  test('download errors are told in plain words', async () => {
    await download(reader, 'not-a-hash')
    await reader.locator('#download-error', { hasText: 'That is not a file hash or sdm:// link' }).waitFor()
    // A well-formed file hash that nobody uploaded ("hello stratos").
    await download(reader, 'v05j1m52c3o7rd6if0b6u23dcoaajjs77tlmkdco')
    await reader
      .locator('#download-error', { hasText: 'No file with this hash is known to the network' })
      .waitFor({ timeout: 30_000 })
    await download(reader, '')
    await reader.locator('#download-error', { hasText: 'Paste a file hash' }).waitFor()
  })

  test('the budget is validated: empty is an error, and it is bounded by the browser quota', async () => {
    await reader.goto(`${server.url}/#contribute`)
    await reader.locator('#network-status', { hasText: 'Online' }).waitFor({ timeout: 40_000 })
    await reader.fill('#budget', '')
    await reader.click('#contribute-form button[type=submit]')
    await reader.locator('#budget-error', { hasText: 'Enter how much storage to give' }).waitFor()
    await reader.fill('#budget', '100000')
    await reader.click('#contribute-form button[type=submit]')
    await reader.locator('#budget-error', { hasText: 'lets this site store at most' }).waitFor()
    await reader.fill('#budget', '0.2')
    await reader.click('#contribute-form button[type=submit]')
    await reader
      .locator('#contribute-status', { hasText: 'Contributing 200 MB' })
      .waitFor({ timeout: 20_000 })
    await reader.locator('#budget-given', { hasText: '200 MB' }).waitFor({ timeout: 10_000 })
  })

  test('every view: no serious or critical axe violation; screenshots at desktop and phone widths', async () => {
    const problems: string[] = []
    for (const [width, size] of Object.entries(WIDTHS)) {
      await uploader.setViewportSize(size)
      for (const view of VIEWS) {
        await uploader.goto(`${server.url}/#${view}`)
        await uploader.locator('#network-status', { hasText: 'Online' }).waitFor({ timeout: 40_000 })
        await uploader.screenshot({ path: join(shots, `${view}-${width}.png`), fullPage: true })
        const { violations } = await new AxeBuilder({ page: uploader }).analyze()
        for (const v of violations)
          if (v.impact === 'serious' || v.impact === 'critical')
            problems.push(
              `${view} ${width}: ${v.id} (${v.impact}) ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
            )
        // Nothing may overflow the page sideways at phone width.
        const overflow = await uploader.evaluate(() => document.documentElement.scrollWidth - innerWidth)
        if (overflow > 0) problems.push(`${view} ${width}: ${overflow}px wider than the viewport`)
      }
    }
    assert.deepEqual(problems, [])
  })

  test('Delete asks to confirm, then withdraws the file from the network: its gateway URL answers 404', async () => {
    await uploader.setViewportSize(WIDTHS.desktop)
    // The list comes from the node's store: it is there again after a reload.
    await uploader.goto(`${server.url}/#files`)
    await uploader.locator('#network-status', { hasText: 'Online' }).waitFor({ timeout: 40_000 })
    await uploader.locator('#owned-files li', { hasText: 'clip.mp4' }).waitFor({ timeout: 20_000 })
    const gatewayUrl = (await uploader.locator('#owned-files a').first().getAttribute('href')) ?? ''
    assert.equal((await fetch(gatewayUrl, { method: 'HEAD' })).status, 200)
    await uploader.getByRole('button', { name: 'Delete clip.mp4' }).click()
    // The confirm step: keeping it changes nothing.
    await uploader.getByRole('button', { name: 'Keep clip.mp4' }).click()
    assert.equal(await uploader.locator('#owned-files li').count(), 1)
    await uploader.getByRole('button', { name: 'Delete clip.mp4' }).click()
    await uploader.getByRole('button', { name: 'Withdraw clip.mp4' }).click()
    await uploader
      .locator('#upload-status', { hasText: 'Withdrew clip.mp4 from the network' })
      .waitFor({ timeout: 30_000 })
    assert.equal(await uploader.locator('#owned-files li').count(), 0)
    assert.equal((await fetch(gatewayUrl, { method: 'HEAD' })).status, 404)
  })

  test('with a wallet connected, uploads are owned by it and it signs their withdrawal', async () => {
    const key = new Uint8Array(32).fill(7)
    const signed: string[] = []
    const page = await openWithWallet('wallet', key, signed)
    await page.click('#files-wallet-connect')
    await page.locator('#upload-owner', { hasText: 'owned by your wallet' }).waitFor()
    await page.setInputFiles('#upload-file', {
      name: 'mine.txt',
      mimeType: 'text/plain',
      buffer: randomBytes(200_000),
    })
    await page.click('#upload-form button[type=submit]')
    await page.locator('#upload-status', { hasText: 'Uploaded mine.txt' }).waitFor({ timeout: 60_000 })
    const owned = (await page.locator('#owned-files code').first().textContent()) ?? ''
    const st1 = keyPairFromPrivateKey(key).address
    assert.ok(owned.startsWith(`sdm://${st1}/`), owned)
    assert.ok(signed.includes('Manifest'))
    const gatewayUrl = (await page.locator('#owned-files a').first().getAttribute('href')) ?? ''
    assert.equal((await fetch(gatewayUrl, { method: 'HEAD' })).status, 200)
    await page.getByRole('button', { name: 'Delete mine.txt' }).click()
    await page.getByRole('button', { name: 'Withdraw mine.txt' }).click()
    await page.locator('#upload-status', { hasText: 'Withdrew mine.txt' }).waitFor({ timeout: 30_000 })
    assert.equal(signed.at(-1), 'DeleteManifest')
    assert.equal((await fetch(gatewayUrl, { method: 'HEAD' })).status, 404)
  })

  test('Connect wallet in Earnings binds the node to the wallet, once: a reload does not ask again', async () => {
    const key = new Uint8Array(32).fill(9)
    const signed: string[] = []
    const page = await openWithWallet('bind', key, signed)
    await page.goto(`${server.url}/#earnings`)
    await page.click('#wallet-connect')
    await page
      .locator('#bind-status', { hasText: 'Your wallet now owns this node' })
      .waitFor({ timeout: 30_000 })
    assert.deepEqual(signed, ['NodeOwnerBinding'])
    // A reload (same profile, so the same node key and IndexedDB) remembers the wallet bound.
    await page.reload()
    await page.locator('#network-status', { hasText: 'Online' }).waitFor({ timeout: 40_000 })
    await page.click('#wallet-connect')
    await page
      .locator('#bind-status', { hasText: 'Your wallet already owns this node' })
      .waitFor({ timeout: 30_000 })
    assert.deepEqual(signed, ['NodeOwnerBinding'])
    await page.close()
  })

  test('with the resource node stopped the page says the network is unreachable, and errors say so', async () => {
    await uploader.setViewportSize(WIDTHS.desktop)
    await uploader.goto(`${server.url}/#files`)
    await uploader.locator('#network-status', { hasText: 'Online' }).waitFor({ timeout: 40_000 })
    await resource.stop()
    await uploader.locator('#network-status', { hasText: 'Offline' }).waitFor({ timeout: 30_000 })
    await uploader.locator('#reconnect').waitFor()
    await download(uploader, 'v05j1m52c3o7rd6if0b6u23dcoaajjs77tlmkdco')
    await uploader
      .locator('#download-error', { hasText: 'The network is unreachable' })
      .waitFor({ timeout: 30_000 })
    await uploader.screenshot({ path: join(shots, 'offline-desktop.png'), fullPage: true })
    await uploader.click('#reconnect')
    await uploader.locator('#network-status', { hasText: 'Offline' }).waitFor({ timeout: 30_000 })
  })
})
