// The quick start, end to end: `npm start`'s orchestrator brings up the chains, two resource nodes and
// the portal; real Chromium opens the portal, whose light node (in a worker) uploads a file over
// WebSockets; the resource node's HTTP gateway then serves the same bytes. Loopback only: no WebRTC here
// (browser-to-browser is covered by e2e/, inside a network namespace).
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { type Browser, chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..')
const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

let network: ChildProcess | undefined
let browser: Browser | undefined
let dataDir = ''
const urls: { portal?: string; gateway?: string } = {}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'stratos-edge-start-'))
  network = spawn(process.execPath, [join(root, 'scripts/start.mjs'), '--ephemeral-ports'], {
    env: { ...process.env, STRATOS_EDGE_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const child = network
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('npm start did not come up within 120 s')), 120_000)
    child.once('exit', (code) => reject(new Error(`start.mjs exited with ${code}`)))
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const portal = /portal\s+(http\S+)/.exec(line)
      if (portal) urls.portal = portal[1]
      const gateway = /resource node 1 \+ meta\s+gateway (\S+?)\/v1\/files/.exec(line)
      if (gateway) urls.gateway = gateway[1]
      if (line.startsWith('Press Ctrl-C')) {
        clearTimeout(timer)
        resolve()
      }
    })
  })
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: CHROMIUM_FLAGS,
  })
}, 180_000)

afterAll(async () => {
  await browser?.close()
  if (network && network.exitCode === null) {
    const exited = new Promise((r) => network?.once('exit', r))
    network.kill('SIGTERM')
    await exited
  }
  rmSync(dataDir, { recursive: true, force: true })
}, 60_000)

describe('npm start and the portal', () => {
  it('prints the demo page and gateway URLs', () => {
    expect(urls.portal).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/)
    expect(urls.gateway).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
  })

  it('the portal runs a light node that uploads a file the gateway then serves', async () => {
    const page = await browser!.newPage()
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(e.message))
    await page.goto(`${urls.portal!}#files`)
    await page.locator('#network-status', { hasText: 'Online' }).waitFor({ timeout: 30_000 })
    const bytes = randomBytes(3 * 1024 * 1024 + 17)
    await page.setInputFiles('#upload-file', {
      name: 'sample.bin',
      mimeType: 'application/octet-stream',
      buffer: bytes,
    })
    await page.click('#upload-form button[type=submit]')
    await page.locator('#upload-status', { hasText: 'Uploaded sample.bin' }).waitFor({ timeout: 60_000 })
    const uri = (await page.locator('#owned-files code').first().textContent()) ?? ''
    const fileHash = uri.split('/').pop()!
    expect(fileHash).toMatch(/^v05j1m5/)
    const response = await fetch(`${urls.gateway}/v1/files/${fileHash}`)
    expect(response.status).toBe(200)
    expect(Buffer.from(await response.arrayBuffer()).equals(bytes)).toBe(true)
    expect(errors).toEqual([])
    await page.close()
  }, 120_000)
})
