// Browser e2e of the widget's resume: an upload cancelled part way, the page reloaded (nothing left in its
// memory), the same file chosen again: only the slices the resource node lacks go over the wire (counted
// at the node), and the row says how many were stored already. A real resource node (meta service,
// tickets), Debian Chromium, the widget's <script> build.
import assert from 'node:assert/strict'
import { mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import type { Browser, Page } from 'playwright-core'
import { NETNS_ADDRESS } from '../scripts/test-network.mjs'
import { launchChromium } from './support/browser.ts'
import { E2E_NETWORK, type ResourceNode, startResourceNode } from './support/resource-node.ts'
import { serveStatic } from './support/static-server.ts'

const here = dirname(fileURLToPath(import.meta.url))
const distDir = join(here, '..', '..', 'apps', 'nft-widget', 'dist')
const shots = join(here, '..', 'test-results', 'nft-widget')
const SLICE = 4 * 1024 * 1024
/** 24 whole slices and a short last one: the cancel comes long before the last. */
const SIZE = 24 * SLICE + 12_345
const NAME = 'resume.webm'

let browser: Browser
let page: Page
let resource: ResourceNode
let dist: { url: string; close(): Promise<void> }

/** A counter of the node's metrics. */
async function metric(name: string): Promise<number> {
  const text = await (await fetch(`${resource.gatewayUrl}/metrics`)).text()
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+(?:\\.\\d+)?(?:e\\+\\d+)?)$`, 'm').exec(text)
  return m ? Number(m[1]) : 0
}
/** Every slice body byte that reached the node's upload route (stored, staged, or drained as held). */
const bytesSent = () => metric('stratos_edge_upload_body_bytes_total')
/** Slice bytes the node stored new. */
const bytesStored = () => metric('stratos_edge_slice_bytes_received_total')

/** Opens the two-line embed; the element's progress texts and live-region lines are recorded. */
async function openEmbed(): Promise<void> {
  await page.goto(`${dist.url}/embed.html`)
  await page.evaluate(() => {
    const el = document.querySelector('stratos-nft-uploader') as HTMLElement
    const seen: string[] = []
    ;(window as unknown as { seen: string[] }).seen = seen
    new MutationObserver(() => {
      const root = el.shadowRoot as ShadowRoot
      for (const t of root.querySelectorAll('.progress-text, [role=status]')) {
        const text = t.textContent ?? ''
        if (text && seen.at(-1) !== text) seen.push(text)
      }
    }).observe(el.shadowRoot as ShadowRoot, { subtree: true, childList: true, characterData: true })
  })
}

/** Chooses the same file (same bytes, name, type and date) and fills the name, as a creator would. */
async function chooseFile(): Promise<void> {
  await page.evaluate(
    ({ size, name }) => {
      // The same bytes every time (xorshift from a fixed seed), so a reloaded page can choose them again.
      const words = new Uint32Array(Math.ceil(size / 4))
      let x = 0x9e3779b9
      for (let i = 0; i < words.length; i++) {
        x ^= x << 13
        x ^= x >>> 17
        x ^= x << 5
        words[i] = x >>> 0
      }
      const file = new File([new Uint8Array(words.buffer, 0, size)], name, {
        type: 'video/webm',
        lastModified: 1_765_000_000_000,
      })
      const el = document.querySelector('stratos-nft-uploader') as HTMLElement & {
        addFiles(f: File[]): void
        fillMetadata(m: unknown): void
      }
      el.addFiles([file])
      el.fillMetadata({ name: 'Resumed' })
    },
    { size: SIZE, name: NAME },
  )
}

const state = () => page.locator('stratos-nft-uploader').getAttribute('state')
const seen = () => page.evaluate(() => (window as unknown as { seen: string[] }).seen)

describe('NFT widget: resume after a cancel and a reload', () => {
  before(async () => {
    mkdirSync(shots, { recursive: true })
    resource = await startResourceNode(NETNS_ADDRESS)
    dist = await serveStatic(distDir, '127.0.0.1')
    browser = await launchChromium()
    page = await (await browser.newContext()).newPage()
    page.on('pageerror', (err) => process.stderr.write(`[pageerror] ${err.message}\n`))
    const attrs = `resource-nodes="${resource.wsAddr}" gateway-url="${resource.gatewayUrl}" network="${E2E_NETWORK}"`
    await page.route(`${dist.url}/embed.html`, (route) =>
      route.fulfill({
        contentType: 'text/html',
        body: `<!doctype html><html lang="en"><head><title>resume</title></head><body>
<script src="/stratos-nft-widget.iife.js"></script>
<stratos-nft-uploader ${attrs} submit-label="Store it"></stratos-nft-uploader></body></html>`,
      }),
    )
  })

  after(async () => {
    await browser?.close().catch(() => {})
    await resource?.stop().catch(() => {})
    await dist?.close().catch(() => {})
  })

  test('the same file chosen again sends only the slices the node lacks, and says so', async () => {
    await openEmbed()
    await chooseFile()
    // The creator's click on Cancel once 40 MB have gone (of 100.7 MB): made in the page, as the row
    // changes, since a poll from here could miss it on loopback.
    await page.evaluate(() => {
      const root = document.querySelector('stratos-nft-uploader')?.shadowRoot as ShadowRoot
      const observer = new MutationObserver(() => {
        const text = root.querySelector('.file .progress-text')?.textContent ?? ''
        const m = /^Uploading ([\d.]+) MB/.exec(text)
        if (m && Number(m[1]) >= 40) {
          observer.disconnect()
          ;(root.querySelector('.file button[part~="cancel"]') as HTMLButtonElement).click()
        }
      })
      observer.observe(root, { subtree: true, childList: true, characterData: true })
    })
    await page.getByRole('button', { name: 'Store it' }).click()
    await page.locator('stratos-nft-uploader[state="error"]').waitFor({ timeout: 120_000 })
    assert.equal(await page.locator('stratos-nft-uploader [role=status]').textContent(), 'Upload cancelled')

    // A reload: the page's memory is gone; the light node remembers the unfinished upload in IndexedDB.
    await openEmbed()
    await chooseFile()
    const sentBefore = await bytesSent()
    const storedBefore = await bytesStored()
    await page.getByRole('button', { name: 'Store it' }).click()
    await page.locator('stratos-nft-uploader[state="done"]').waitFor({ timeout: 180_000 })
    await page.screenshot({ path: join(shots, 'resumed.png'), fullPage: true })
    const sent = (await bytesSent()) - sentBefore
    const stored = (await bytesStored()) - storedBefore
    const texts = await seen()
    process.stdout.write(
      `resume: ${sent} bytes sent, ${stored} stored new; texts: ${JSON.stringify(texts)}\n`,
    )

    // What the creator reads: how many slices were stored already, on the row and in the live region.
    const line = texts.find((t) => /^Stored .* · \d+ of 25 slices already stored$/.test(t))
    assert.ok(line, `the done row says what was stored already: ${JSON.stringify(texts)}`)
    const held = Number(/(\d+) of 25 slices/.exec(line)?.[1])
    assert.ok(held >= 1 && held < 25, `${held} slices held`)
    assert.ok(
      texts.includes(`Resuming ${NAME}: ${held} of 25 slices already stored`),
      'the live region announces the resume',
    )
    assert.ok(
      texts.some((t) => t.startsWith('Uploading ') && t.includes(`· ${held} of 25 slices already stored`)),
      'the progress row says it while uploading',
    )
    // What went over the wire: the media's missing slices and the metadata JSON, nothing the node held (a
    // held 4 MiB slice sent again would show here). Stored new may be more: the first attempt's staged
    // slices, committed by the resumed upload, were sent the first time.
    const metadataBytes = sent - (SIZE - held * SLICE)
    assert.ok(metadataBytes > 0 && metadataBytes < 4096, `the rest is the metadata JSON: ${metadataBytes}`)
    assert.ok(stored >= sent, `every byte sent was one the node lacked (${sent} sent, ${stored} stored)`)
    assert.equal(await state(), 'done')
  })
})
