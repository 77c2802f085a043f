// The Earnings view in real Chromium on a fake node session (the node is an edge: the view is under
// test; the e2e with real earnings belongs to the light node's Proof of Traffic). Served by Vite's dev
// server on loopback from test/earnings-fixture. A node without the traffic API says "not live yet";
// one with it shows the totals, the chart and the table, binds the wallet it connects, claims with it,
// reads again on `traffic:settled`, and has no serious or critical axe violation at 1280 and 390 px.
import { mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import AxeBuilder from '@axe-core/playwright'
import { type Browser, chromium, type Page } from 'playwright-core'
import { createServer, type ViteDevServer } from 'vite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const here = dirname(fileURLToPath(import.meta.url))
const shots = join(here, '../test-results/earnings')
const WIDTHS = { desktop: { width: 1280, height: 900 }, phone: { width: 390, height: 844 } }

let server: ViteDevServer
let browser: Browser
let base = ''

beforeAll(async () => {
  mkdirSync(shots, { recursive: true })
  server = await createServer({
    root: join(here, 'earnings-fixture'),
    configFile: false,
    logLevel: 'warn',
    server: { host: '127.0.0.1', port: 0, strictPort: false, hmr: false },
  })
  await server.listen()
  const address = server.httpServer?.address()
  if (!address || typeof address === 'string') throw new Error('no dev server address')
  base = `http://127.0.0.1:${address.port}/`
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-sync',
    ],
  })
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await server?.close()
})

async function open(live: boolean, size = WIDTHS.desktop): Promise<Page> {
  // A context of its own: axe needs one, and each page gets a fresh profile.
  const page = await (await browser.newContext({ viewport: size })).newPage()
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  await page.goto(`${base}?live=${live ? 1 : 0}`)
  ;(page as unknown as { errors: string[] }).errors = errors
  return page
}

async function seriousViolations(page: Page): Promise<string[]> {
  const { violations } = await new AxeBuilder({ page }).analyze()
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)
}

describe('the Earnings view', () => {
  it('says "not live yet" for a node without the traffic API', async () => {
    const page = await open(false)
    await page.locator('#earnings-not-live', { hasText: 'Not live yet' }).waitFor({ timeout: 30_000 })
    expect(await page.locator('#claim').count()).toBe(0)
    expect(await seriousViolations(page)).toEqual([])
    await page.context().close()
  }, 60_000)

  it('shows the totals, chart and table, and claims with the connected wallet', async () => {
    const page = await open(true)
    await page.locator('#stos-claimable', { hasText: '1.5 STOS' }).waitFor({ timeout: 30_000 })
    expect(await page.locator('#stos-pending').textContent()).toBe('0.25 STOS')
    expect(await page.locator('#stos-claimed').textContent()).toBe('1 STOS')
    expect(await page.locator('#stos-balance').textContent()).toBe('7 STOS')
    // The chart (uPlot, loaded on demand) draws on a canvas; its label sums it up.
    await page.locator('#traffic-chart canvas').first().waitFor({ timeout: 10_000 })
    expect(await page.locator('#traffic-chart .chart-canvas').getAttribute('aria-label')).toBe(
      'Epochs 10 to 14: 24.0 MB served, 2.7500 STOS earned.',
    )
    const rows = page.locator('#epochs tbody tr')
    expect(await rows.count()).toBe(5)
    expect(await rows.first().textContent()).toContain('open: still counting')
    await page.click('#wallet-connect')
    await page.locator('#wallet-address').waitFor()
    // Connecting binds the node to the wallet, once.
    await page.locator('#bind-status', { hasText: 'Your wallet now owns this node' }).waitFor()
    await page.getByRole('button', { name: 'Claim 1.5 STOS' }).click()
    await page
      .locator('#claim-status', { hasText: 'Claimed 1.5 STOS for epoch 11 (1 transaction).' })
      .waitFor()
    await page.locator('#stos-claimed', { hasText: '2.5 STOS' }).waitFor()
    expect(await page.locator('#claim').isDisabled()).toBe(true)
    const record = () =>
      page.evaluate(
        () =>
          (
            window as unknown as {
              earningsFixture: { record: { claims: unknown[]; binds: unknown[]; trafficCalls: number } }
            }
          ).earningsFixture.record,
      )
    expect((await record()).claims).toEqual([{ withSigner: true }])
    expect((await record()).binds).toEqual([{ withSigner: true }])
    const before = (await record()).trafficCalls
    await page.evaluate(() =>
      (window as unknown as { earningsFixture: { settle(): void } }).earningsFixture.settle(),
    )
    await expect.poll(async () => (await record()).trafficCalls).toBeGreaterThan(before)
    expect((page as unknown as { errors: string[] }).errors).toEqual([])
    await page.context().close()
  }, 60_000)

  it('no serious or critical axe violation, nothing wider than the page, at 1280 and 390 px', async () => {
    const problems: string[] = []
    for (const [width, size] of Object.entries(WIDTHS)) {
      const page = await open(true, size)
      await page.locator('#traffic-chart canvas').first().waitFor({ timeout: 30_000 })
      await page.screenshot({ path: join(shots, `earnings-live-${width}.png`), fullPage: true })
      for (const v of await seriousViolations(page)) problems.push(`${width}: ${v}`)
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - innerWidth)
      if (overflow > 0) problems.push(`${width}: ${overflow}px wider than the viewport`)
      await page.context().close()
    }
    expect(problems).toEqual([])
  }, 90_000)
})
