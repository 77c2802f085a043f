// Over 400 lines: one flow (drop, upload, mint, cancel, embed, keyboard, React) sharing one network and chain.
// Browser e2e of the NFT widget on its demo marketplace page: a real resource node, a real local Polygon
// (anvil) with the DemoNft ERC-721, Debian Chromium. The tests run in order on one page.
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import AxeBuilder from '@axe-core/playwright'
import { DEMO_NFT_ABI } from '@stratos-edge/polygon-bridge/local'
import { Contract, type InterfaceAbi, type JsonRpcProvider } from 'ethers'
import type { Browser, JSHandle, Page } from 'playwright-core'
import { launchChromium } from './support/browser.ts'
import { NFT_WIDGET_DIST, type NftDemo, startNftDemo } from './support/nft-demo.ts'
import { ONE_PIXEL_PNG } from './support/one-pixel-png.ts'
import { E2E_NETWORK, type ResourceNode } from './support/resource-node.ts'
import { serveStatic } from './support/static-server.ts'

const here = dirname(fileURLToPath(import.meta.url))
const shots = join(here, '..', 'test-results', 'nft-widget')
const XSS_NAME = '<img src=x onerror="window.__xss=1">Ship'
const PNG = ONE_PIXEL_PNG
const VIDEO = randomBytes(12 * 1024 * 1024)

interface FileSpec {
  name: string
  type: string
  base64?: string
  /** Bytes to make in the page: zeros, or random with `random`. */
  size?: number
  random?: boolean
}

interface DemoWindow {
  demo: {
    upload?: { tokenURI: string; metadata: Record<string, unknown> }
    minted?: { tokenId: string; tokenURI: string; metadata: Record<string, unknown> }
    error?: string
    nodeStat(): Promise<{ store: { pinnedBytes: number; slices: number; files: number } }>
  }
  __xss?: number
}

let browser: Browser
let demo: NftDemo
let page: Page
let resource: ResourceNode
let provider: JsonRpcProvider
let nftAddress: string
let server: { url: string; close(): Promise<void> }
const pageErrors: string[] = []

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')

async function bytesReceived(): Promise<number> {
  const text = await (await fetch(`${resource.gatewayUrl}/metrics`)).text()
  const m = /^stratos_edge_slice_bytes_received_total(?:\{[^}]*\})? (\d+(?:\.\d+)?(?:e\+\d+)?)$/m.exec(text)
  return m ? Number(m[1]) : 0
}

/** Every slice body byte that reached the node's upload route (stored, staged, or drained as held). */
async function bodyBytesSent(): Promise<number> {
  const text = await (await fetch(`${resource.gatewayUrl}/metrics`)).text()
  const m = /^stratos_edge_upload_body_bytes_total(?:\{[^}]*\})? (\d+(?:\.\d+)?(?:e\+\d+)?)$/m.exec(text)
  return m ? Number(m[1]) : 0
}

/** HTTP gateway requests by status (slice uploads answer 201 stored, 202 staged, 200 already held). */
async function gatewayRequests(): Promise<Record<string, number>> {
  const text = await (await fetch(`${resource.gatewayUrl}/metrics`)).text()
  const counts: Record<string, number> = {}
  for (const m of text.matchAll(/^stratos_edge_gateway_requests_total\{status="(\d+)"\} (\d+)$/gm))
    counts[m[1] as string] = Number(m[2])
  return counts
}

/** Drops files on the widget's drop zone with a real DataTransfer. */
async function dropFiles(files: FileSpec[]): Promise<void> {
  const dataTransfer: JSHandle = await page.evaluateHandle((specs: FileSpec[]) => {
    const dt = new DataTransfer()
    for (const s of specs) {
      let bytes: Uint8Array
      if (s.base64) bytes = Uint8Array.from(atob(s.base64), (c) => c.charCodeAt(0))
      else {
        bytes = new Uint8Array(s.size ?? 0)
        if (s.random)
          for (let i = 0; i < bytes.length; i += 65536) crypto.getRandomValues(bytes.subarray(i, i + 65536))
      }
      dt.items.add(new File([bytes as Uint8Array<ArrayBuffer>], s.name, { type: s.type }))
    }
    return dt
  }, files)
  await page.locator('stratos-nft-uploader .drop').dispatchEvent('drop', { dataTransfer })
  await dataTransfer.dispose()
}

const uploader = () => page.locator('stratos-nft-uploader')
const errorText = () => page.locator('stratos-nft-uploader .error').textContent()

async function waitForState(state: string, timeout = 120_000): Promise<void> {
  await page.locator(`stratos-nft-uploader[state="${state}"]`).waitFor({ timeout })
}

async function seriousViolations(): Promise<string[]> {
  const results = await new AxeBuilder({ page }).analyze()
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)
}

describe('NFT widget on the demo marketplace', () => {
  before(async () => {
    mkdirSync(shots, { recursive: true })
    demo = await startNftDemo()
    ;({ resource, provider, nftAddress, server } = demo)
    browser = await launchChromium()
    const context = await browser.newContext({ viewport: { width: 900, height: 1400 } })
    page = await context.newPage()
    page.on('pageerror', (err) => {
      pageErrors.push(err.message)
      process.stderr.write(`[pageerror] ${err.message}\n`)
    })
    page.on('worker', (w) => w.on('console', (m) => process.stderr.write(`[worker] ${m.text()}\n`)))
    await page.goto(`${server.url}/index.html`)
    await page.waitForFunction(() => document.getElementById('status')?.textContent === 'Ready')
  })

  after(async () => {
    await browser?.close().catch(() => {})
    await demo?.stop()
  })

  test('empty state: accessible, and no light node loaded yet', async () => {
    assert.equal(await uploader().getAttribute('state'), 'empty')
    await page.screenshot({ path: join(shots, 'empty.png'), fullPage: true })
    assert.deepEqual(await seriousViolations(), [])
    assert.equal(page.workers().length, 0, 'the worker loads on first use, not with the page')
  })

  test("too large or wrong type: the host's message, and no byte uploaded", async () => {
    const before = await bytesReceived()
    const requestsBefore = await gatewayRequests()
    await dropFiles([{ name: 'huge.mp4', type: 'video/mp4', size: 50_000_001 }])
    assert.equal(await errorText(), '“huge.mp4” is too big for Edgeworks: files up to 50 MB please.')
    assert.equal(await uploader().getAttribute('state'), 'error')
    await page.screenshot({ path: join(shots, 'error.png'), fullPage: true })
    assert.deepEqual(await seriousViolations(), [])
    await dropFiles([{ name: 'notes.txt', type: 'text/plain', size: 10 }])
    assert.equal(
      await errorText(),
      'Edgeworks takes images, video, audio, 3D models and HTML, not “notes.txt” (text/plain).',
    )
    assert.equal(await page.locator('stratos-nft-uploader .file').count(), 0)
    // Even pressing Upload with the metadata filled sends nothing: no file, and a name is needed.
    await new Promise((r) => setTimeout(r, 500))
    assert.equal(await bytesReceived(), before, 'the resource node received no slice bytes')
    // (Every /metrics read is a 200 itself: compare the upload answers.)
    const uploads = (c: Record<string, number>) => (c['201'] ?? 0) + (c['202'] ?? 0)
    assert.equal(
      uploads(await gatewayRequests()),
      uploads(requestsBefore),
      'no slice upload reached the gateway',
    )
    assert.equal(page.workers().length, 0, 'no light node was even started')
  })

  test('drop an image and a video, fill the metadata, upload and mint', async () => {
    await dropFiles([
      { name: 'ship.png', type: 'image/png', base64: PNG.toString('base64') },
      { name: 'ship.mp4', type: 'video/mp4', base64: VIDEO.toString('base64') },
    ])
    assert.equal(await page.locator('stratos-nft-uploader .file').count(), 2)
    assert.equal(await uploader().getAttribute('state'), 'ready')
    await page.getByLabel('Name (required)').fill(XSS_NAME)
    await page.getByLabel('Description').fill('<script>window.__xss=2</script> a fast ship')
    await page.getByLabel('External link').fill('https://edgeworks.example/ship')
    await page.getByLabel('Background colour').fill('#1A2B3C')
    await page.getByRole('button', { name: 'Add a trait' }).click()
    await page.getByLabel('Trait 1 name').fill('Speed')
    await page.getByLabel('Trait 1 value').fill('7')
    await page.getByLabel('Trait 1 display').selectOption('number')
    await page.getByRole('button', { name: 'Add a trait' }).click()
    await page.getByLabel('Trait 2 name').fill('Hull')
    await page.getByLabel('Trait 2 value').fill('<b>oak</b>')
    const receivedBefore = await bytesReceived()
    await page.getByRole('button', { name: 'Upload to Stratos' }).click()
    await waitForState('uploading')
    await page
      .locator('stratos-nft-uploader .progress-text', { hasText: /Uploading|Preparing/ })
      .first()
      .waitFor({ timeout: 30_000 })
      .catch(() => {})
    await page.screenshot({ path: join(shots, 'in-progress.png'), fullPage: true })
    await waitForState('done')
    await page.screenshot({ path: join(shots, 'done.png'), fullPage: true })
    assert.deepEqual(await seriousViolations(), [])
    const upload = await page.evaluate(() => (window as unknown as DemoWindow).demo.upload)
    assert.ok(upload)
    assert.ok(upload.tokenURI.startsWith(`${resource.gatewayUrl}`), upload.tokenURI)
    assert.ok((await bytesReceived()) - receivedBefore >= VIDEO.length, 'the media reached the resource node')

    await page.getByRole('button', { name: 'Mint on Polygon' }).click()
    await page.waitForFunction(() => (window as unknown as DemoWindow).demo.minted !== undefined, undefined, {
      timeout: 60_000,
    })
    const minted = await page.evaluate(() => (window as unknown as DemoWindow).demo.minted)
    assert.ok(minted)

    // tokenURI() read from the chain here resolves through the gateway to the same metadata.
    const nft = new Contract(nftAddress, DEMO_NFT_ABI as unknown as InterfaceAbi, provider)
    const tokenURI = (await nft.getFunction('tokenURI')(BigInt(minted.tokenId))) as string
    assert.equal(tokenURI, upload.tokenURI)
    const metadata = (await (await fetch(tokenURI)).json()) as Record<string, unknown>
    assert.deepEqual(metadata, upload.metadata)
    assert.deepEqual(metadata, minted.metadata)
    assert.equal(metadata.name, XSS_NAME)
    assert.equal(metadata.background_color, '1a2b3c')
    assert.deepEqual(metadata.attributes, [
      { trait_type: 'Speed', value: 7, display_type: 'number' },
      { trait_type: 'Hull', value: '<b>oak</b>' },
    ])
    // image and animation_url resolve to the dropped bytes.
    const image = new Uint8Array(await (await fetch(metadata.image as string)).arrayBuffer())
    assert.equal(sha256(image), sha256(PNG))
    const video = new Uint8Array(await (await fetch(metadata.animation_url as string)).arrayBuffer())
    assert.equal(video.length, VIDEO.length)
    assert.equal(sha256(video), sha256(VIDEO))
    // The page rendered the token from the chain, as text.
    assert.equal(await page.locator('#token-name').textContent(), XSS_NAME)
    await page.screenshot({ path: join(shots, 'minted.png'), fullPage: true })
  })

  test('names with markup run no script', async () => {
    assert.equal(await page.evaluate(() => (window as unknown as DemoWindow).__xss), undefined)
    assert.equal(
      await page.locator('img[src="x"]').count(),
      0,
      'no <img src=x> anywhere, shadow roots included',
    )
    assert.equal(await page.locator('b', { hasText: 'oak' }).count(), 0)
    assert.deepEqual(pageErrors, [])
  })

  test('cancelling mid-upload leaves no pinned slices behind', async () => {
    const demo = () => page.evaluate(() => (window as unknown as DemoWindow).demo.nodeStat())
    const before = await demo()
    await dropFiles([{ name: 'long.webm', type: 'video/webm', size: 40 * 1024 * 1024, random: true }])
    // The creator's click on Cancel, made as soon as the row shows bytes moving (a 40 MiB upload on
    // loopback takes about a second: a poll from here could miss it).
    await page.evaluate(() => {
      const root = document.querySelector('stratos-nft-uploader')?.shadowRoot as ShadowRoot
      const observer = new MutationObserver(() => {
        for (const li of root.querySelectorAll('.file')) {
          if (!li.textContent?.includes('long.webm')) continue
          const text = li.querySelector('.progress-text')?.textContent ?? ''
          const cancel = li.querySelector('button[part~="cancel"]') as HTMLButtonElement
          if (/(Preparing|Uploading) [1-9]/.test(text) && !cancel.hidden) {
            observer.disconnect()
            ;(window as unknown as { cancelledAt: string }).cancelledAt = text
            cancel.click()
          }
        }
      })
      observer.observe(root, { subtree: true, childList: true, characterData: true })
    })
    await page.getByRole('button', { name: 'Upload to Stratos' }).click()
    await waitForState('error')
    assert.match((await errorText()) ?? '', /cancelled/)
    assert.equal(await page.locator('stratos-nft-uploader [role=status]').textContent(), 'Upload cancelled')
    const cancelledAt = await page.evaluate(() => (window as unknown as { cancelledAt?: string }).cancelledAt)
    process.stdout.write(`cancelled at: ${cancelledAt}\n`)
    await page.screenshot({ path: join(shots, 'cancelled.png'), fullPage: true })
    const afterCancel = await demo()
    assert.equal(
      afterCancel.store.pinnedBytes,
      before.store.pinnedBytes,
      'no pinned slice of the cancelled file',
    )
    assert.equal(afterCancel.store.files, before.store.files)

    // Retry sends only the slices the resource node lacks (nothing it holds goes over the wire again;
    // nft-widget-resume.test.ts checks the counts and the text after a reload).
    const received = await bytesReceived()
    const sentBefore = await bodyBytesSent()
    const requests = await gatewayRequests()
    await page.getByRole('button', { name: 'Retry the upload of long.webm' }).click()
    await waitForState('done', 180_000)
    const stored = (await bytesReceived()) - received
    const sent = (await bodyBytesSent()) - sentBefore
    const after = await gatewayRequests()
    const delta = Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (requests[k] ?? 0)]))
    process.stdout.write(
      `retry after cancel (40 MiB, 4 MiB slices): ${sent} bytes sent, ${stored} new bytes stored; gateway requests ${JSON.stringify(delta)}\n`,
    )
    // (Stored new may be more than sent: staged slices of the cancelled attempt, committed by the retry.)
    assert.ok(sent <= stored, `the retry sent only bytes the node lacked (${sent} sent, ${stored} stored)`)
  })

  test('the <script> build: two widgets on one page share one light node', async () => {
    const dist = await serveStatic(NFT_WIDGET_DIST, '127.0.0.1')
    const context = await browser.newContext()
    try {
      const embed = await context.newPage()
      embed.on('pageerror', (err) => pageErrors.push(err.message))
      const attrs = `resource-nodes="${resource.wsAddr}" gateway-url="${resource.gatewayUrl}" network="${E2E_NETWORK}"`
      // The two-line embed (twice, the second with sdm:// links), on the origin that serves dist/.
      await embed.route(`${dist.url}/embed.html`, (route) =>
        route.fulfill({
          contentType: 'text/html',
          body: `<!doctype html><html lang="en"><head><title>embed</title></head><body>
<script src="/stratos-nft-widget.iife.js"></script>
<stratos-nft-uploader id="a" ${attrs} submit-label="Store it" accept="image/*"></stratos-nft-uploader>
<stratos-nft-uploader id="b" ${attrs} token-uri="sdm"></stratos-nft-uploader></body></html>`,
        }),
      )
      await embed.goto(`${dist.url}/embed.html`)
      assert.equal(embed.workers().length, 0)
      // Parsed after the script defined the element: attributes arrive after its constructor.
      assert.equal(await embed.locator('#a button[part~="submit"]').textContent(), 'Store it')
      assert.equal(await embed.locator('#a input[type=file]').getAttribute('accept'), 'image/*')
      const results: { tokenURI: string; metadata: { name: string; image?: string } }[] = []
      for (const id of ['a', 'b']) {
        results.push(
          await embed.evaluate(async (id) => {
            const el = document.getElementById(id) as HTMLElement & {
              nodeOptions: unknown
              addFiles(f: File[]): void
              fillMetadata(m: unknown): void
              upload(): Promise<{ tokenURI: string; metadata: { name: string; image?: string } }>
            }
            el.nodeOptions = { iceServers: [] }
            el.addFiles([
              new File([new Uint8Array([1, 2, 3, id.charCodeAt(0)])], `${id}.png`, { type: 'image/png' }),
            ])
            el.fillMetadata({ name: `Token ${id}` })
            return el.upload()
          }, id),
        )
      }
      const [a, b] = results as [(typeof results)[0], (typeof results)[0]]
      assert.ok(a.tokenURI.startsWith(`${resource.gatewayUrl}/`), a.tokenURI)
      assert.match(b.tokenURI, /^sdm:\/\/st1[a-z0-9]+\/v05j1m5/)
      assert.match(b.metadata.image ?? '', /^sdm:\/\//)
      assert.equal(((await (await fetch(a.tokenURI)).json()) as { name: string }).name, 'Token a')
      const nodes = embed.workers().filter((w) => /\/worker-entry-/.test(w.url()))
      assert.equal(
        nodes.length,
        1,
        `one light node worker: ${embed
          .workers()
          .map((w) => w.url())
          .join(', ')}`,
      )
      assert.equal(
        await embed.evaluate(() =>
          (
            window as unknown as { StratosNftWidget: { sharedLightNodeCount(): number } }
          ).StratosNftWidget.sharedLightNodeCount(),
        ),
        1,
      )
    } finally {
      await context.close().catch(() => {})
      await dist.close()
    }
  })

  test('keyboard only: choose a file, name it, upload', async () => {
    const context = await browser.newContext()
    try {
      const p = await context.newPage()
      await p.goto(`${server.url}/index.html`)
      await p.waitForFunction(() => document.getElementById('status')?.textContent === 'Ready')
      const focused = () =>
        p.evaluate(() => {
          let el = document.activeElement
          while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement
          return el
            ? `${el.tagName.toLowerCase()}:${el.getAttribute('type') ?? el.getAttribute('name') ?? ''}`
            : ''
        })
      // Tab (a bounded number of times) to the file input and open the chooser with the keyboard.
      for (let i = 0; i < 10 && (await focused()) !== 'input:file'; i++) await p.keyboard.press('Tab')
      assert.equal(await focused(), 'input:file')
      const chooser = p.waitForEvent('filechooser')
      await p.keyboard.press('Space')
      await (await chooser).setFiles({ name: 'key.png', mimeType: 'image/png', buffer: PNG })
      for (let i = 0; i < 10 && (await focused()) !== 'input:text'; i++) await p.keyboard.press('Tab')
      assert.equal(await focused(), 'input:text', 'the name field follows the file controls')
      await p.keyboard.type('Typed without a mouse')
      await p.keyboard.press('Enter')
      await p.locator('stratos-nft-uploader[state="done"]').waitFor({ timeout: 120_000 })
      const upload = await p.evaluate(() => (window as unknown as DemoWindow).demo.upload)
      assert.equal(upload?.metadata.name, 'Typed without a mouse')
    } finally {
      await context.close().catch(() => {})
    }
  })

  test('the React wrapper: props become attributes, onUploaded fires', async () => {
    const context = await browser.newContext()
    try {
      const p = await context.newPage()
      const errors: string[] = []
      p.on('pageerror', (err) => errors.push(err.message))
      await p.goto(`${server.url}/react.html`)
      const el = p.locator('stratos-nft-uploader')
      await el.waitFor()
      assert.equal(await el.getAttribute('max-size'), '1MB')
      assert.equal(await el.getAttribute('class'), 'uploader')
      assert.equal(
        await p.locator('stratos-nft-uploader button[part~="submit"]').textContent(),
        'Upload from React',
      )
      await p
        .locator('stratos-nft-uploader input[type=file]')
        .setInputFiles({ name: 'r.png', mimeType: 'image/png', buffer: PNG })
      await p.getByLabel('Name (required)').fill('From React')
      await p.getByRole('button', { name: 'Upload from React' }).click()
      await p.locator('#react-token').waitFor({ timeout: 120_000 })
      const tokenURI = (await p.locator('#react-token').textContent()) ?? ''
      assert.ok(tokenURI.startsWith(`${resource.gatewayUrl}/`), tokenURI)
      assert.equal(((await (await fetch(tokenURI)).json()) as { name: string }).name, 'From React')
      assert.deepEqual(errors, [])
    } finally {
      await context.close().catch(() => {})
    }
  })
})
