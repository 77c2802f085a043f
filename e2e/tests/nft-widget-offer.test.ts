// The widget's prepay offer box in Chromium: when the owner's ozone is short, the offer says how much is
// missing (from the error's fields), takes the focus, passes axe, emits `stratos-nft-prepay-offer`, and
// "Not now" ends the upload with the creator's error. The light node is a stand-in whose `put` fails with
// an InsufficientOzoneError as it arrives across the worker boundary (a plain Error with the name and the
// fields); the element, its shadow DOM and the browser are real. Nothing is paid (the payment flow on a
// real chain is the widget's own test, ozone-offer.test.ts).
import assert from 'node:assert/strict'
import { mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import AxeBuilder from '@axe-core/playwright'
import type { Browser, Page } from 'playwright-core'
import { launchChromium } from './support/browser.ts'
import { serveStatic } from './support/static-server.ts'

const here = dirname(fileURLToPath(import.meta.url))
const distDir = join(here, '..', '..', 'apps', 'nft-widget', 'dist')
const shots = join(here, '..', 'test-results', 'nft-widget')
const OWNER = '0x00000000000000000000000000000000000000ab'

let browser: Browser
let page: Page
let dist: { url: string; close(): Promise<void> }

describe('NFT widget: the prepay offer box', () => {
  before(async () => {
    mkdirSync(shots, { recursive: true })
    dist = await serveStatic(distDir, '127.0.0.1')
    browser = await launchChromium()
    page = await (await browser.newContext()).newPage()
    await page.route(`${dist.url}/offer.html`, (route) =>
      route.fulfill({
        contentType: 'text/html',
        body: `<!doctype html><html lang="en"><head><title>offer</title></head><body><main>
<script src="/stratos-nft-widget.iife.js"></script>
<stratos-nft-uploader payments-network="amoy" prepay-stos="5" submit-label="Store it"></stratos-nft-uploader>
</main></body></html>`,
      }),
    )
    await page.goto(`${dist.url}/offer.html`)
  })

  after(async () => {
    await browser?.close().catch(() => {})
    await dist?.close().catch(() => {})
  })

  test('shows the shortfall, takes the focus, passes axe; Not now ends the upload', async () => {
    await page.evaluate((owner) => {
      const el = document.querySelector('stratos-nft-uploader') as HTMLElement & {
        node: unknown
        payer: unknown
        addFiles(f: File[]): void
        fillMetadata(m: unknown): void
      }
      const w = window as unknown as { offers: unknown[]; puts: number }
      w.offers = []
      w.puts = 0
      el.addEventListener('stratos-nft-prepay-offer', (e) => {
        const d = (e as CustomEvent).detail
        w.offers.push({ ...d, shortfallBytes: String(d.shortfallBytes), amount: String(d.amount) })
      })
      el.node = {
        async put() {
          w.puts++
          // As comlink delivers it from the worker: a plain Error, the name and the fields copied on.
          throw Object.assign(new Error('Ticket refused. Prepay STOS'), {
            name: 'InsufficientOzoneError',
            owner,
            shortfallBytes: 4096n,
          })
        },
      }
      el.payer = { eip1193: { request: async () => [] } } // never asked: the offer is declined
      el.addFiles([new File([new Uint8Array([1, 2, 3])], 'a.png', { type: 'image/png' })])
      el.fillMetadata({ name: 'Short' })
    }, OWNER)
    await page.getByRole('button', { name: 'Store it' }).click()
    const offer = page.getByRole('group', { name: 'Prepay storage' })
    await offer.waitFor({ state: 'visible', timeout: 30_000 })
    assert.equal(
      await offer.locator('[part="prepay-text"]').textContent(),
      'Your prepaid storage does not cover this upload (4.1 kB more is needed). Prepay 5 STOS on Polygon from your wallet, then the upload goes on.',
    )
    const accept = page.getByRole('button', { name: 'Prepay 5 STOS and continue' })
    assert.ok(await accept.isVisible())
    assert.ok(await page.getByRole('button', { name: 'Not now' }).isVisible())
    const focused = await page.evaluate(() => {
      const root = document.querySelector('stratos-nft-uploader')?.shadowRoot
      return root?.activeElement?.textContent
    })
    assert.equal(focused, 'Prepay 5 STOS and continue', 'the offer takes the focus')
    assert.equal(
      await page.locator('stratos-nft-uploader [role=status]').textContent(),
      'Your prepaid storage is short',
    )
    assert.deepEqual(await page.evaluate(() => (window as unknown as { offers: unknown[] }).offers), [
      { owner: OWNER, shortfallBytes: '4096', amount: String(5n * 10n ** 18n) },
    ])
    const violations = (await new AxeBuilder({ page }).analyze()).violations.filter(
      (v) => v.impact === 'serious' || v.impact === 'critical',
    )
    assert.deepEqual(
      violations.map((v) => v.id),
      [],
    )
    await page.screenshot({ path: join(shots, 'prepay-offer.png'), fullPage: true })

    // Keyboard: Tab to "Not now", Enter.
    await page.keyboard.press('Tab')
    await page.keyboard.press('Enter')
    await page.locator('stratos-nft-uploader[state="error"]').waitFor({ timeout: 30_000 })
    assert.ok(await offer.isHidden(), 'the offer is gone')
    assert.equal(
      await page.locator('stratos-nft-uploader .error').textContent(),
      `The storage prepaid for ${OWNER} is 4096 bytes short of this upload. Prepay STOS on Polygon to go on`,
    )
    assert.equal(await page.evaluate(() => (window as unknown as { puts: number }).puts), 1)
  })
})
