// Browser e2e of the contributor snippet: a third-party page (another origin) embeds the one-line
// script; before consent nothing is stored, nothing else is loaded and no connection is opened; after
// consent the frame's light node runs with exactly the page's budget, and Stop ends it.
import assert from 'node:assert/strict'
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import type { Browser, Page } from 'playwright-core'
import { NETNS_ADDRESS } from '../scripts/test-network.mjs'
import { launchChromium } from './support/browser.ts'
import { type ResourceNode, startResourceNode } from './support/resource-node.ts'
import { serveStatic } from './support/static-server.ts'

const here = dirname(fileURLToPath(import.meta.url))
const snippetDist = join(here, '../../apps/contributor-snippet/dist')

let browser: Browser
let resource: ResourceNode
let snippet: { url: string; close(): Promise<void> }
let site: { url: string; close(): Promise<void> }
const dirs: string[] = []

/** What the host page's origin holds: IndexedDB databases and localStorage keys. */
function hostStorage(page: Page) {
  return page.evaluate(async () => ({
    databases: (await indexedDB.databases()).map((d) => d.name),
    localStorage: Object.keys(localStorage),
  }))
}

describe('contributor snippet', () => {
  before(async () => {
    resource = await startResourceNode(NETNS_ADDRESS)
    const snippetDir = mkdtempSync(join(tmpdir(), 'stratos-e2e-snippet-'))
    const siteDir = mkdtempSync(join(tmpdir(), 'stratos-e2e-site-'))
    dirs.push(snippetDir, siteDir)
    cpSync(snippetDist, snippetDir, { recursive: true })
    writeFileSync(
      join(snippetDir, 'config.json'),
      JSON.stringify({ resourceNodes: [resource.wsAddr], gatewayUrl: resource.gatewayUrl }),
    )
    snippet = await serveStatic(snippetDir, '127.0.0.1')
    writeFileSync(
      join(siteDir, 'index.html'),
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>A news site</title></head>
<body><main><h1>A news site</h1><p>Any third-party page.</p></main>
<script type="module" src="${snippet.url}/contributor.js" data-budget="200MB"></script></body></html>`,
    )
    site = await serveStatic(siteDir, '127.0.0.1') // another port: another origin
    browser = await launchChromium()
  })

  after(async () => {
    await browser?.close().catch(() => {})
    await site?.close()
    await snippet?.close()
    await resource?.stop().catch(() => {})
    for (const d of dirs) rmSync(d, { recursive: true, force: true })
  })

  test('asks first, stores nothing before consent; after it the budget holds; Stop ends it', async () => {
    const page = await (await browser.newContext()).newPage()
    page.on('pageerror', (err) => process.stderr.write(`[site pageerror] ${err.message}\n`))
    const requested: string[] = []
    page.on('request', (r) => requested.push(r.url()))
    let sockets = 0
    page.on('websocket', () => sockets++)
    await page.goto(`${site.url}/index.html`)
    const badge = page.locator('#stratos-edge-contributor')
    await badge.getByRole('button', { name: 'Give 200 MB' }).waitFor()
    await page.waitForTimeout(1000)

    // Before consent: only the script's own modules came from the snippet's origin (no frame, no
    // config), no WebSocket was opened and the page's origin holds nothing.
    const fromSnippet = requested.filter((u) => u.startsWith(snippet.url))
    assert.ok(fromSnippet.includes(`${snippet.url}/contributor.js`))
    assert.deepEqual(
      fromSnippet.filter((u) => !u.endsWith('.js')),
      [],
    )
    assert.equal(page.frames().length, 1)
    assert.equal(sockets, 0)
    assert.deepEqual(await hostStorage(page), { databases: [], localStorage: [] })

    await badge.getByRole('button', { name: 'Give 200 MB' }).click()
    await badge.getByText('Giving storage: up to 200 MB').waitFor({ timeout: 40_000 })
    // The frame's node (the snippet's origin) runs with the page's budget, set in its own store.
    const frame = page.frames().find((f) => f.url().startsWith(`${snippet.url}/frame.html`))
    assert.ok(frame, 'the node frame is loaded after consent')
    const databases = await frame.evaluate(async () => (await indexedDB.databases()).map((d) => d.name))
    assert.ok(
      databases.some((n) => n?.includes('stratos-edge-contributor')),
      databases.join(', '),
    )
    // The host page's own origin still holds nothing.
    assert.deepEqual(await hostStorage(page), { databases: [], localStorage: [] })

    await badge.getByRole('button', { name: 'Stop' }).click()
    await badge.getByText('Stopped').waitFor({ timeout: 20_000 })
    assert.equal(page.frames().length, 1)
  })

  test('a budget above the ceiling is capped at 1 GB', async () => {
    const page = await (await browser.newContext()).newPage()
    await page.goto(`${site.url}/index.html`)
    await page.evaluate((src) => {
      document.getElementById('stratos-edge-contributor')?.remove()
      const s = document.createElement('script')
      s.type = 'module'
      s.src = `${src}?again`
      s.dataset.budget = '50GB'
      document.body.append(s)
    }, `${snippet.url}/contributor.js`)
    await page.locator('#stratos-edge-contributor').getByRole('button', { name: 'Give 1 GB' }).waitFor()
  })
})
