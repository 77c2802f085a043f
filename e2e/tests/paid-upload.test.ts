// Browser e2e, one flow: a wallet pays for its upload. The two anvil chains and the contracts come from
// `npm start`'s code (startLocalChains); the meta node runs with tickets on, reads StoragePayments on the
// local Polygon and credits a prepayment after 2 confirmations, with no free allowance. The page injects
// an EIP-1193 provider backed by an anvil dev account. A wallet that did not pay is refused before any
// slice byte is sent, with the typed error the page sees; the paying wallet is refused until its
// prepayment has its confirmations, then uploads as itself and the gateway serves the bytes.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { toStratosAddress } from '@stratos-edge/core'
import { type BridgeClient, createBridgeClient } from '@stratos-edge/polygon-bridge'
import { type LocalChains, startLocalChains } from '@stratos-edge/polygon-bridge/local'
import { type SpawnedResourceNode, spawnResourceNode } from '@stratos-edge/resource-node'
import { FetchRequest, JsonRpcProvider, toBeHex, Wallet } from 'ethers'
import type { Browser, Page } from 'playwright-core'
import { NETNS_ADDRESS } from '../scripts/test-network.mjs'
import { launchChromium } from './support/browser.ts'
import { serveStatic } from './support/static-server.ts'

const fixtureDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist')
const FILE_SIZE = 2 * 1024 * 1024 + 11
const SLICE_SIZE = 1024 * 1024
const STOS = 10n ** 18n
const CONFIRMATIONS = 2

interface Uploaded {
  fileHash: string
  uri: string
  owner: string
  sha256: string
  signed: string[]
}
interface Harness {
  start(o: unknown): Promise<{ peerId: string }>
  uploadWithWallet(size: number, wallet: { rpcUrl: string; account: string }): Promise<Uploaded>
}

let browser: Browser
let page: Page
let server: { url: string; close(): Promise<void> }
let chains: LocalChains
let polygon: JsonRpcProvider
let ethereum: JsonRpcProvider
let meta: SpawnedResourceNode
let dataDir: string
let gatewayUrl: string
/** Pays: bridges STOS to "Polygon", then prepays. */
let payer: { address: string; bridge: BridgeClient }
/** Never pays. */
let stranger: string

function provider(url: string, chainId: number): JsonRpcProvider {
  const request = new FetchRequest(url)
  request.timeout = 30_000
  return new JsonRpcProvider(request, chainId, { staticNetwork: true, pollingInterval: 50, cacheTimeout: -1 })
}

const upload = (account: string) =>
  page.evaluate(
    ([size, w]) => (window as unknown as { harness: Harness }).harness.uploadWithWallet(size, w),
    [FILE_SIZE, { rpcUrl: chains.polygon.rpcUrl, account }] as const,
  )

/** The typed error the page saw (the harness rethrows it as "<name>: <message> (sign requests: n)"). */
async function refusal(account: string): Promise<string> {
  try {
    await upload(account)
  } catch (err) {
    // Playwright prefixes the page's error and appends its stack.
    return ((err as Error).message.split('\n')[0] ?? '').replace(/^page\.evaluate: Error: /, '')
  }
  throw new Error(`the upload of ${account} was not refused`)
}

/** What the node received on its write paths: slice bytes, and uploads answered 201/202/402/403. */
async function writesSeen(): Promise<string> {
  const text = await (await fetch(`${gatewayUrl}/metrics`)).text()
  const bytes = /^stratos_edge_slice_bytes_received_total(?:\{[^}]*\})? (\S+)$/m.exec(text)?.[1] ?? '0'
  const statuses = [
    ...text.matchAll(/^stratos_edge_gateway_requests_total\{status="(20[12]|40[23])"\} (\S+)$/gm),
  ]
  return `bytes ${bytes}; ${statuses.map((m) => `${m[1]}: ${m[2]}`).join(', ')}`
}

describe('a wallet prepays on Polygon, then uploads as itself', () => {
  before(async () => {
    chains = await startLocalChains({ autoRelay: false })
    polygon = provider(chains.polygon.rpcUrl, chains.polygon.chainId)
    ethereum = provider(chains.ethereum.rpcUrl, chains.ethereum.chainId)
    const key = chains.accounts[4]!.privateKey
    payer = {
      address: chains.accounts[4]!.address,
      bridge: createBridgeClient({
        ethereum: new Wallet(key, ethereum),
        polygon: new Wallet(key, polygon),
        addresses: chains.addresses,
      }),
    }
    stranger = chains.accounts[5]!.address
    dataDir = mkdtempSync(join(tmpdir(), 'stratos-e2e-paid-'))
    meta = await spawnResourceNode({
      args: [
        ...['start', '--meta', '--host', NETNS_ADDRESS, '--data-dir', dataDir],
        ...['--tcp-port', '0', '--ws-port', '0', '--http-port', '0'],
        ...['--network', String(chains.polygon.chainId), '--polygon-rpc', chains.polygon.rpcUrl],
        ...['--storage-payments', chains.addresses.polygon.storagePayments as string],
        ...['--confirmations', String(CONFIRMATIONS)],
        ...['--payments-from-block', String(await polygon.getBlockNumber())],
      ],
      stderr: 'inherit',
      timeoutMs: 30_000,
    })
    gatewayUrl = meta.ready.gatewayUrl
    const ws = meta.ready.multiaddrs.find((a) => a.includes(`/ip4/${NETNS_ADDRESS}/`) && a.includes('/ws'))
    assert.ok(ws, 'the meta node listens on WebSockets')
    server = await serveStatic(fixtureDir, '127.0.0.1')
    browser = await launchChromium()
    page = await browser.newPage()
    page.on('pageerror', (err) => process.stderr.write(`[pageerror] ${err.message}\n`))
    await page.goto(`${server.url}/index.html`)
    await page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready')
    await page.evaluate((o) => (window as unknown as { harness: Harness }).harness.start(o), {
      resourceNodes: [ws.includes('/p2p/') ? ws : `${ws}/p2p/${meta.ready.peerId}`],
      gatewayUrl,
      iceServers: [],
      storeName: 'e2e-paid',
      sliceSize: SLICE_SIZE,
      network: chains.polygon.chainId,
    })
  })

  after(async () => {
    await browser?.close().catch(() => {})
    await server?.close().catch(() => {})
    await meta?.stop().catch(() => {})
    polygon?.destroy()
    ethereum?.destroy()
    await chains?.stop().catch(() => {})
    if (dataDir) rmSync(dataDir, { recursive: true, force: true })
  })

  test('a wallet that did not pay is refused before any slice byte is sent: InsufficientOzoneError', async () => {
    const before = await writesSeen()
    const message = await refusal(stranger)
    assert.match(message, /^InsufficientOzoneError: /)
    // It names the owner and the shortfall (no ozone at all: every byte is short)...
    assert.match(message, new RegExp(stranger, 'i'))
    assert.match(message, new RegExp(`${FILE_SIZE} short`))
    // ...says how to pay, and came before the manifest was ever asked for.
    assert.match(message, /Prepay STOS/)
    assert.match(message, /sign requests: 1\)$/)
    assert.equal(await writesSeen(), before, 'no slice request reached the node')
  })

  test('the prepayment is credited after its confirmations; then the wallet uploads and the gateway serves it', async () => {
    await payer.bridge.deposit({ amount: 10n * STOS })
    await chains.relayer.syncState()
    for (let i = 0; i < 150 && (await payer.bridge.stosBalance('polygon', payer.address)) < STOS; i++)
      await new Promise((r) => setTimeout(r, 200))
    await payer.bridge.prepay({ beneficiary: payer.address, amount: STOS })

    // One confirmation of two: the watcher (polling every 2 s) must not credit it yet.
    await new Promise((r) => setTimeout(r, 3000))
    assert.match(await refusal(payer.address), /^InsufficientOzoneError: /)

    await polygon.send('anvil_mine', [toBeHex(CONFIRMATIONS - 1)])
    let put: Uploaded | undefined
    let last = ''
    for (let i = 0; i < 30 && !put; i++) {
      put = await upload(payer.address).catch((err: Error) => {
        last = err.message
        return undefined
      })
      if (!put) await new Promise((r) => setTimeout(r, 500))
    }
    assert.ok(put, `the paid upload went through (last: ${last})`)
    const st1 = toStratosAddress(payer.address)
    assert.equal(put.owner, st1)
    assert.equal(put.uri, `sdm://${st1}/${put.fileHash}`)
    // The upload binds the wallet as the node's owner too (docs/proof-of-traffic.md, "Node owners").
    assert.deepEqual(put.signed, ['UploadTicketRequest', 'Manifest', 'NodeOwnerBinding'])

    const res = await fetch(`${gatewayUrl}/v1/files/${put.uri}`, { signal: AbortSignal.timeout(30_000) })
    assert.equal(res.status, 200)
    const body = new Uint8Array(await res.arrayBuffer())
    assert.equal(body.byteLength, FILE_SIZE)
    assert.equal(createHash('sha256').update(body).digest('hex'), put.sha256)
  })
})
