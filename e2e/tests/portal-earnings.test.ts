// Browser e2e of the portal's Earnings view on a Proof of Traffic network (anvil chains, a resource node
// whose meta service settles epochs of a few seconds and posts their roots to TrafficRewards), driven
// only through the built portal's DOM in two browser profiles: A contributes storage, connects a
// prepaid dApp wallet and uploads with it; B downloads the file, from A over WebRTC; A's Earnings view
// shows the bytes served and the receipts, then, once the epoch settles, the claimable STOS; Claim
// (sent by the connected wallet, the portal's main path) raises the shown claimed amount and A's
// on-chain STOS balance by exactly that amount. Screenshots of the view with real data at desktop and
// phone widths go to e2e/test-results/portal-earnings/ (gitignored), with an axe-core check.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import AxeBuilder from '@axe-core/playwright'
import { toStratosAddress } from '@stratos-edge/core'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { NETNS_ADDRESS } from '../scripts/test-network.mjs'
import { launchChromium } from './support/browser.ts'
import { E2E_NETWORK } from './support/resource-node.ts'
import { serveStatic } from './support/static-server.ts'
import { startTrafficNetwork, type TrafficNetwork } from './support/traffic-network.ts'

const here = dirname(fileURLToPath(import.meta.url))
const portalDist = join(here, '../../apps/portal/dist')
const shots = join(here, '../test-results/portal-earnings')
const WIDTHS = { desktop: { width: 1280, height: 900 }, phone: { width: 390, height: 844 } }
const EPOCH_SECONDS = 8
const FILE_SIZE = 1_500_000

let net: TrafficNetwork
let server: { url: string; close(): Promise<void> }
let siteDir: string
let browser: Browser
const contexts: BrowserContext[] = []
/** JSON-RPC methods A's wallet was asked for, in order. */
const walletCalls: string[] = []

const until = async <T>(what: string, ms: number, fn: () => Promise<T | undefined>): Promise<T> => {
  const deadline = Date.now() + ms
  for (;;) {
    const got = await fn()
    if (got !== undefined) return got
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 500))
  }
}

/**
 * A profile of its own at `view`. With `wallet`, the page gets an EIP-1193 provider for that anvil
 * account: accounts are answered in the page, every other request (typed-data signatures,
 * transactions, receipts) goes through the test process to the Polygon anvil, which holds the key.
 */
async function open(name: string, view: string, wallet?: string): Promise<Page> {
  const ctx = await browser.newContext({ acceptDownloads: true, viewport: WIDTHS.desktop })
  contexts.push(ctx)
  if (wallet) {
    let id = 0
    await ctx.exposeFunction('testWalletRpc', async (method: string, params: unknown[]) => {
      walletCalls.push(method)
      const res = await fetch(net.polygonRpc, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params }),
        signal: AbortSignal.timeout(20_000),
      })
      const body = (await res.json()) as { result?: unknown; error?: { message: string } }
      if (body.error) throw new Error(body.error.message)
      return body.result
    })
    await ctx.addInitScript((account) => {
      const rpc = (window as unknown as { testWalletRpc(m: string, p: unknown[]): Promise<unknown> })
        .testWalletRpc
      ;(window as unknown as { ethereum: unknown }).ethereum = {
        async request({ method, params }: { method: string; params?: unknown[] }) {
          if (method === 'eth_requestAccounts' || method === 'eth_accounts') return [account]
          return rpc(method, params ?? [])
        },
      }
    }, wallet)
  }
  const page = await ctx.newPage()
  page.on('pageerror', (err) => process.stderr.write(`[${name} pageerror] ${err.message}\n`))
  await page.goto(`${server.url}/#${view}`)
  await page.locator('#network-status', { hasText: 'Online' }).waitFor({ timeout: 40_000 })
  return page
}

/** Switches view with the page's own navigation (no reload: the node and its counters stay). */
async function show(page: Page, view: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: view }).click()
}

/** What A's Earnings view shows, read from the DOM (amounts from their `<data value>`). */
interface ShownEarnings {
  account: string
  epochs: { epoch: number; served: number; receipts: number; state: string }[]
  claimable: bigint
  claimed: bigint
  balance: bigint | undefined
}

async function shownEarnings(page: Page): Promise<ShownEarnings | undefined> {
  const raw = await page.evaluate(() => {
    const wei = (id: string) => document.querySelector<HTMLDataElement>(`#${id} data`)?.value
    const account = document.querySelector('#earning-account code')?.textContent ?? ''
    const epochs = [...document.querySelectorAll('#epochs tbody tr')]
      .filter((tr) => tr.querySelector('th'))
      .map((tr) => {
        const cells = tr.querySelectorAll('td')
        return {
          epoch: Number(tr.querySelector('th')?.textContent),
          served: Number(cells[0]?.querySelector('data')?.value),
          receipts: Number(cells[1]?.textContent),
          state: cells[5]?.textContent?.trim() ?? '',
        }
      })
    return {
      account,
      epochs,
      claimable: wei('stos-claimable'),
      claimed: wei('stos-claimed'),
      balance: wei('stos-balance'),
    }
  })
  if (!raw.account || raw.claimable === undefined || raw.claimed === undefined) return undefined
  return {
    account: raw.account,
    epochs: raw.epochs,
    claimable: BigInt(raw.claimable),
    claimed: BigInt(raw.claimed),
    balance: raw.balance === undefined ? undefined : BigInt(raw.balance),
  }
}

const servedIn = (e: ShownEarnings) => e.epochs.reduce((n, r) => n + r.served, 0)
const receiptsIn = (e: ShownEarnings) => e.epochs.reduce((n, r) => n + r.receipts, 0)

describe('portal Earnings: served bytes, receipts and a claim through an epoch', () => {
  let a: Page
  let b: Page
  let uri = ''
  let aPeer = ''
  let beforeClaim: ShownEarnings
  const bytes = randomBytes(FILE_SIZE)

  before(async () => {
    mkdirSync(shots, { recursive: true })
    net = await startTrafficNetwork({
      host: NETNS_ADDRESS,
      epochSeconds: EPOCH_SECONDS,
      lateWindowSeconds: 2,
    })
    siteDir = mkdtempSync(join(tmpdir(), 'stratos-e2e-portal-earnings-'))
    cpSync(portalDist, siteDir, { recursive: true })
    // The shape npm start serves: the Polygon chain with its contract addresses.
    writeFileSync(
      join(siteDir, 'config.json'),
      JSON.stringify({
        resourceNodes: [net.resource.wsAddr],
        gatewayUrl: net.resource.gatewayUrl,
        network: E2E_NETWORK,
        polygon: { ...net.chains.polygon, addresses: net.chains.addresses.polygon ?? {} },
      }),
    )
    server = await serveStatic(siteDir, '127.0.0.1')
    browser = await launchChromium()
  })

  after(async () => {
    for (const c of contexts) await c.close().catch(() => {})
    await browser?.close().catch(() => {})
    await server?.close().catch(() => {})
    await net?.stop().catch(() => {})
    if (siteDir) rmSync(siteDir, { recursive: true, force: true })
  })

  test('A contributes storage and uploads with the prepaid dApp wallet', async () => {
    a = await open('a', 'contribute', net.dapp.address)
    await a.fill('#budget', '0.2')
    await a.click('#contribute-form button[type=submit]')
    await a.locator('#contribute-status', { hasText: 'Contributing 200 MB' }).waitFor({ timeout: 20_000 })
    await a.locator('#budget-given', { hasText: '200 MB' }).waitFor({ timeout: 10_000 })

    await show(a, 'Network')
    aPeer = (await a.locator('#network-title ~ p code').first().textContent()) ?? ''
    assert.match(aPeer, /^12D3Koo/)

    await show(a, 'Files')
    await a.click('#files-wallet-connect')
    await a.locator('#upload-owner', { hasText: 'owned by your wallet' }).waitFor()
    // The payment watcher credits the prepayment within a poll or two: until then the ticket is refused.
    await until('the prepayment to be credited', 30_000, async () => {
      await a.setInputFiles('#upload-file', { name: 'clip.mp4', mimeType: 'video/mp4', buffer: bytes })
      await a.click('#upload-form button[type=submit]')
      const done = a.locator('#upload-status', { hasText: 'Uploaded clip.mp4' })
      const failed = a.locator('#upload-error', { hasText: /\S/ })
      await done.or(failed).waitFor({ timeout: 60_000 })
      if (await done.isVisible()) return true
      const error = (await failed.textContent()) ?? ''
      if (/not prepaid enough/.test(error)) return undefined
      throw new Error(`upload failed: ${error}`)
    })
    uri = (await a.locator('#owned-files code').first().textContent()) ?? ''
    assert.match(uri, /^sdm:\/\/st1[0-9a-z]+\/v05j1m5/)
    assert.ok(uri.startsWith(`sdm://${toStratosAddress(net.dapp.address)}/`), `owned by the wallet: ${uri}`)
    assert.ok(walletCalls.includes('eth_signTypedData_v4'), 'the wallet signed the upload')
  })

  test("B downloads the file in its Files view, from A over WebRTC; A's Earnings view shows it", async () => {
    await show(a, 'Earnings')
    await a.locator('#epochs').waitFor({ timeout: 20_000 })
    const quiet = await until('A’s earnings', 10_000, () => shownEarnings(a))
    assert.equal(servedIn(quiet), 0, 'nothing served before B downloads')
    assert.equal(receiptsIn(quiet), 0)

    b = await open('b', 'files')
    await b.fill('#download-ref', uri)
    const [saved] = await Promise.all([
      b.waitForEvent('download'),
      b.click('#download-form button[type=submit]'),
    ])
    assert.equal(saved.suggestedFilename(), 'clip.mp4')
    assert.ok(readFileSync((await saved.path())!).equals(bytes))

    // B's Network view: A is a browser reached directly over WebRTC, and every byte came from it.
    await show(b, 'Network')
    const row = b.locator('#peers tbody tr', { has: b.locator(`code[title="${aPeer}"]`) })
    await row.waitFor({ timeout: 10_000 })
    const cells = (await row.locator('td').allTextContents()).map((t) => t.trim())
    assert.equal(cells[1], 'browser')
    assert.match(cells[2] ?? '', /direct \(WebRTC\)/)
    assert.equal(cells[4], '1.5 MB', `B fetched the whole file from A: ${cells.join(' | ')}`)
    const resourceRow = b.locator('#peers tbody tr', {
      has: b.locator(`code[title="${net.resource.peerId}"]`),
    })
    assert.equal(((await resourceRow.locator('td').nth(4).textContent()) ?? '').trim(), '0 B')

    // A's view reads the figures again by itself: the bytes B signed for, and its receipts.
    const served = await until('A’s Earnings view to show the served bytes', 30_000, async () => {
      const e = await shownEarnings(a)
      return e && servedIn(e) === FILE_SIZE ? e : undefined
    })
    assert.ok(receiptsIn(served) > 0, 'A holds receipts')
  })

  test('after the epoch settles the claimable STOS shows; Claim raises claimed and the balance by it', async () => {
    // Every epoch A served in is claimable: its root is on chain, nothing more of A's traffic is pending.
    beforeClaim = await until('A’s served epochs to be claimable', 90_000, async () => {
      const e = await shownEarnings(a)
      const served = e?.epochs.filter((r) => r.served > 0) ?? []
      return e && served.length > 0 && served.every((r) => r.state === 'claimable') ? e : undefined
    })
    assert.ok(beforeClaim.claimable > 0n, 'claimable STOS > 0')
    // The words say so too: not "0 STOS", and the button names the amount.
    const claimableText = ((await a.locator('#stos-claimable').textContent()) ?? '').trim()
    assert.match(claimableText, /^(0\.\d*[1-9]\d*|[1-9][\d.]*) STOS$/)
    assert.equal(((await a.locator('#claim').textContent()) ?? '').trim(), `Claim ${claimableText}`)
    assert.equal(beforeClaim.account.toLowerCase(), (await nodeAddress(a)).toLowerCase())
    const balanceBefore = await net.stosBalance(beforeClaim.account)
    assert.equal(beforeClaim.balance, balanceBefore, 'the view shows the on-chain balance')

    const sentBefore = walletCalls.filter((m) => m === 'eth_sendTransaction').length
    await a.locator('#claim').click()
    await a
      .locator('#claim-status', { hasText: `Claimed ${claimableText} for ` })
      .waitFor({ timeout: 60_000 })
    const after = await until('the claimed amount to rise', 20_000, async () => {
      const e = await shownEarnings(a)
      return e && e.claimed > beforeClaim.claimed ? e : undefined
    })
    assert.equal(
      after.claimed - beforeClaim.claimed,
      beforeClaim.claimable,
      'shown claimed rose by the claimable',
    )
    assert.equal(after.claimable, 0n)
    const balanceAfter = await net.stosBalance(beforeClaim.account)
    assert.equal(
      balanceAfter - balanceBefore,
      beforeClaim.claimable,
      'on-chain STOS rose by exactly the claimable',
    )
    assert.equal(after.balance, balanceAfter)
    assert.ok(
      walletCalls.filter((m) => m === 'eth_sendTransaction').length > sentBefore,
      'the connected wallet sent the claim',
    )
    assert.ok(await a.locator('#claim').isDisabled())
  })

  test('the Earnings view with real data: screenshots, and no serious or critical axe violation', async () => {
    const problems: string[] = []
    for (const [width, size] of Object.entries(WIDTHS)) {
      await a.setViewportSize(size)
      await a.locator('#traffic-chart canvas').first().waitFor({ timeout: 10_000 })
      await a.screenshot({ path: join(shots, `earnings-${width}.png`), fullPage: true })
      const { violations } = await new AxeBuilder({ page: a }).analyze()
      for (const v of violations)
        if (v.impact === 'serious' || v.impact === 'critical')
          problems.push(
            `${width}: ${v.id} (${v.impact}) ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
          )
      const overflow = await a.evaluate(() => document.documentElement.scrollWidth - innerWidth)
      if (overflow > 0) problems.push(`${width}: ${overflow}px wider than the viewport`)
    }
    assert.deepEqual(problems, [])
  })
})

/** The node's own address as the Earnings view shows it. */
async function nodeAddress(page: Page): Promise<string> {
  return (await page.locator('#node-address code').first().textContent()) ?? ''
}
