import { existsSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { build } from 'esbuild'
import { type Browser, chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createBridgeClient } from '../src/bridge-client.js'
import { STOS, startTestChains, type TestChains, withDeadline } from './helpers.js'

const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
/** Each step takes about a second; a step that needs longer has stopped answering (well under vitest's 120 s). */
const STEP_MS = 45_000
/** Each teardown step gets this long, so afterAll always reaches the end (and kills anvil). */
const TEARDOWN_STEP_MS = 20_000

// Needs Debian's Chromium (CI's .ci/run installs it). Skipped on a developer machine without it, never
// in CI, where a missing browser must fail the run rather than hide the test.
const noBrowser = !existsSync(chromiumPath) && process.env.CI !== 'true'
describe.skipIf(noBrowser)('the client in Chromium with an EIP-1193 wallet', () => {
  let chains: TestChains
  let server: Server
  let browser: Browser
  let origin: string

  beforeAll(async () => {
    chains = await startTestChains()
    const bundle = await build({
      entryPoints: [new URL('./fixtures/browser-entry.ts', import.meta.url).pathname],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      write: false,
      logLevel: 'silent',
    })
    const js = bundle.outputFiles[0]!.text
    server = createServer((req, res) => {
      if (req.url === '/bundle.js') {
        res.writeHead(200, { 'content-type': 'text/javascript' }).end(js)
      } else {
        res
          .writeHead(200, { 'content-type': 'text/html' })
          .end('<!doctype html><title>bridge</title><script type="module" src="/bundle.js"></script>')
      }
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    browser = await chromium.launch({
      timeout: STEP_MS,
      executablePath: chromiumPath,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-sync',
      ],
    })
  })
  afterAll(async () => {
    // Independent steps, each bounded: one that fails or hangs must not keep the others (anvil) from running.
    const closeServer = async (): Promise<void> => {
      if (!server) return
      // close() waits for Chromium's keep-alive connections; drop them so it resolves now.
      const closed = new Promise<void>((resolve, reject) =>
        server.close((err) => (err ? reject(err) : resolve())),
      )
      server.closeAllConnections()
      await closed
    }
    const results = await Promise.allSettled([
      withDeadline(Promise.resolve(browser?.close()), TEARDOWN_STEP_MS, 'closing Chromium'),
      withDeadline(closeServer(), TEARDOWN_STEP_MS, 'closing the fixture HTTP server'),
      withDeadline(Promise.resolve(chains?.stop()), TEARDOWN_STEP_MS, 'stopping the anvil chains'),
    ])
    const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as Error] : []))
    if (failures.length > 0) {
      throw new AggregateError(failures, `teardown: ${failures.map((e) => e.message).join('; ')}`)
    }
  })

  it('deposits on "Ethereum", prepays on "Polygon" and decodes a revert, switching the wallet between chains', async () => {
    const page = await browser.newPage()
    // Playwright's own waits (goto, waitForFunction) fail after STEP_MS; page.evaluate has no timeout of its
    // own, so those calls are bounded below.
    page.setDefaultTimeout(STEP_MS)
    await page.goto(origin)
    await page.waitForFunction(() => 'bridgeTest' in globalThis)
    const account = chains.accounts[4]!.address
    const init = {
      addresses: chains.addresses,
      rpc: {
        [chains.ethereum.chainId]: chains.ethereum.rpcUrl,
        [chains.polygon.chainId]: chains.polygon.rpcUrl,
      },
      account,
      amount: String(5n * STOS),
    }
    const deposited = await withDeadline(
      page.evaluate(
        (i) =>
          (
            globalThis as unknown as { bridgeTest: { run(x: unknown): Promise<{ switches: number[] }> } }
          ).bridgeTest.run(i),
        init,
      ),
      STEP_MS,
      'the deposit on "Ethereum" in the page (bridgeTest.run)',
    )
    expect(deposited.switches).toEqual([chains.ethereum.chainId])
    await withDeadline(chains.relayer.syncState(), STEP_MS, 'the relayer delivering the deposit (syncState)')
    const paid = await withDeadline(
      page.evaluate(
        (i) =>
          (
            globalThis as unknown as {
              bridgeTest: {
                pay(x: unknown): Promise<{
                  paymentId: string
                  balance: string
                  prepayments: string[]
                  rejected?: { name: string; reason: string }
                  switches: number[]
                  userAgent: string
                }>
              }
            }
          ).bridgeTest.pay(i),
        { ...init, amount: String(2n * STOS) },
      ),
      STEP_MS,
      'the prepayment on "Polygon" in the page (bridgeTest.pay)',
    )
    expect(paid.userAgent).toContain('Chrome')
    expect(paid.switches).toEqual([chains.polygon.chainId])
    expect(paid.paymentId).toBe('1')
    expect(paid.balance).toBe(String(3n * STOS))
    expect(paid.prepayments).toEqual([String(2n * STOS)])
    expect(paid.rejected).toEqual({ name: 'ContractRevertedError', reason: 'ZeroAmount' })
    // The chain agrees with what the page saw.
    const reader = createBridgeClient({
      ethereum: chains.eth,
      polygon: chains.pol,
      addresses: chains.addresses,
    })
    const prepayments = await withDeadline(reader.prepaymentsOf(account), STEP_MS, 'reading the prepayments')
    expect(prepayments.map((p) => p.payer)).toEqual([account])
    await page.close()
  })
})
