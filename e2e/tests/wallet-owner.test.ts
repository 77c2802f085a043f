// Browser e2e: a page's wallet owns an upload. The page injects an EIP-1193 provider backed by an anvil
// dev account (anvil holds the key and answers eth_signTypedData_v4); the light node's worker asks the
// page for the manifest's signature across comlink. The sdm:// URI names the wallet's st1 address, the
// manifest the resource node stored recovers to the wallet, and the gateway serves the bytes under it.
// The upload binds the wallet as the node's owner (one more signature, countersigned by the node key):
// the meta service's node-owner book keeps it. A second tab of the origin, which uses the first tab's
// node, binds another wallet, and uploads with the first, which the node remembers bound (not asked
// again). A wallet that refuses leaves nothing pinned in the browser and no manifest on the node.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import {
  decodeManifest,
  manifestTypedData,
  recoverTypedDataSigner,
  toEvmAddress,
  toStratosAddress,
} from '@stratos-edge/core'
import { type AnvilChain, startAnvil } from '@stratos-edge/polygon-bridge/local'
import { openNodeOwnerBook } from '@stratos-edge/resource-node/traffic'
import type { Browser, Page } from 'playwright-core'
import { NETNS_ADDRESS } from '../scripts/test-network.mjs'
import { launchChromium } from './support/browser.ts'
import { FIXTURE_DIR, loadFixture } from './support/fixture-page.ts'
import { type ResourceNode, startResourceNode } from './support/resource-node.ts'
import { serveStatic } from './support/static-server.ts'

const FILE_SIZE = 3 * 1024 * 1024 + 5
const SLICE_SIZE = 1024 * 1024

interface Uploaded {
  fileHash: string
  uri: string
  owner: string
  sha256: string
  gatewayUrl?: string
  signRequests: number
  signed: string[]
}
interface Harness {
  start(o: unknown): Promise<{ peerId: string }>
  uploadWithWallet(
    size: number,
    wallet: { rpcUrl: string; account: string; refuse?: boolean },
  ): Promise<Uploaded>
  bindWithWallet(wallet: { rpcUrl: string; account: string }): Promise<{ outcome: string; signed: string[] }>
  node: { stat(): Promise<{ ownerAddress: string; store: { pinnedBytes: number; slices: number } }> }
}
const harness = (page: Page) => ({
  upload: (wallet: { rpcUrl: string; account: string; refuse?: boolean }) =>
    page.evaluate(
      ([size, w]) => (window as unknown as { harness: Harness }).harness.uploadWithWallet(size, w),
      [FILE_SIZE, wallet] as const,
    ),
  stat: () => page.evaluate(() => (window as unknown as { harness: Harness }).harness.node.stat()),
})

/** Every manifest file under the resource node's data directory (`<file hash>.<0x owner>.manifest`). */
async function manifestFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.manifest'))
    .map((e) => join(e.parentPath, e.name))
}

let browser: Browser
let server: { url: string; close(): Promise<void> }
let resource: ResourceNode
let anvil: AnvilChain
let page: Page
let account: string
let otherAccount: string

describe('a wallet owns an upload', () => {
  before(async () => {
    server = await serveStatic(FIXTURE_DIR, '127.0.0.1')
    resource = await startResourceNode(NETNS_ADDRESS)
    anvil = await startAnvil({ chainId: 31_337 })
    const res = await fetch(anvil.rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_accounts', params: [] }),
    })
    const accounts = ((await res.json()) as { result: string[] }).result
    account = accounts[3] as string
    otherAccount = accounts[4] as string
    browser = await launchChromium()
    // One context for both tabs of the origin (browser.newPage() would give each its own).
    page = await loadFixture(await (await browser.newContext()).newPage(), server.url)
    await page.evaluate((o) => (window as unknown as { harness: Harness }).harness.start(o), {
      resourceNodes: [resource.wsAddr],
      ...(resource.gatewayUrl ? { gatewayUrl: resource.gatewayUrl } : {}),
      iceServers: [],
      storeName: 'e2e-wallet',
      sliceSize: SLICE_SIZE,
    })
  })

  after(async () => {
    await browser?.close().catch(() => {})
    await resource?.stop().catch(() => {})
    await anvil?.stop().catch(() => {})
    await server?.close().catch(() => {})
  })

  test('the sdm:// URI names the wallet, its manifest recovers to the wallet, the gateway serves the bytes', async () => {
    const st1 = toStratosAddress(account)
    const put = await harness(page).upload({ rpcUrl: anvil.rpcUrl, account })
    assert.equal(put.owner, st1)
    assert.equal(put.uri, `sdm://${st1}/${put.fileHash}`)
    // The wallet signs the upload-ticket request (before any byte moves), the manifest, then (once)
    // the binding that makes it this node's owner.
    assert.deepEqual(put.signed, ['UploadTicketRequest', 'Manifest', 'NodeOwnerBinding'])
    const { ownerAddress } = await harness(page).stat()
    const book = openNodeOwnerBook({ dataDir: resource.dataDir })
    try {
      assert.deepEqual(book.owners(toEvmAddress(ownerAddress)), [toEvmAddress(account)])
    } finally {
      book.close()
    }

    // The manifest the resource node keeps for this owner (written once the meta service took it).
    const wanted = `${put.fileHash}.${account.toLowerCase()}.manifest`
    let path: string | undefined
    for (let i = 0; i < 50 && !path; i++) {
      path = (await manifestFiles(resource.dataDir)).find((p) => p.endsWith(wanted))
      if (!path) await new Promise((r) => setTimeout(r, 100))
    }
    assert.ok(path, `the resource node stored ${wanted}`)
    const manifest = decodeManifest(new Uint8Array(await readFile(path)))
    assert.equal(manifest.owner, toEvmAddress(account))
    assert.equal(recoverTypedDataSigner(manifestTypedData(manifest), manifest.signature), manifest.owner)

    assert.ok(resource.gatewayUrl, 'the resource node runs a gateway')
    const res = await fetch(`${resource.gatewayUrl}/v1/files/${put.uri}`, {
      signal: AbortSignal.timeout(30_000),
    })
    assert.equal(res.status, 200)
    const body = new Uint8Array(await res.arrayBuffer())
    assert.equal(body.byteLength, FILE_SIZE)
    assert.equal(createHash('sha256').update(body).digest('hex'), put.sha256)
  })

  test('a second tab of the origin, using the first tab’s node, uploads as its own wallet', async () => {
    const second = await loadFixture(await page.context().newPage(), server.url, 'second')
    await second.evaluate((o) => (window as unknown as { harness: Harness }).harness.start(o), {
      resourceNodes: [resource.wsAddr],
      iceServers: [],
      storeName: 'e2e-wallet',
      sliceSize: SLICE_SIZE,
    })
    assert.equal(second.workers().length, 0, 'the second tab runs no node of its own')
    // The second tab binds another wallet through the first tab's node: that wallet signs, in its tab.
    const bound = await second.evaluate(
      (w) => (window as unknown as { harness: Harness }).harness.bindWithWallet(w),
      { rpcUrl: anvil.rpcUrl, account: otherAccount },
    )
    assert.deepEqual(bound, { outcome: 'accepted', signed: ['NodeOwnerBinding'] })
    const { ownerAddress } = await harness(page).stat()
    const book = openNodeOwnerBook({ dataDir: resource.dataDir })
    try {
      assert.deepEqual(
        book.owners(toEvmAddress(ownerAddress)),
        [toEvmAddress(account), toEvmAddress(otherAccount)].sort(),
      )
    } finally {
      book.close()
    }
    const put = await harness(second).upload({ rpcUrl: anvil.rpcUrl, account })
    assert.equal(put.uri, `sdm://${toStratosAddress(account)}/${put.fileHash}`)
    assert.deepEqual(
      put.signed,
      ['UploadTicketRequest', 'Manifest'],
      'the wallet in the calling tab signed both, and was not asked to bind again',
    )
    const res = await fetch(`${resource.gatewayUrl}/v1/files/${put.uri}`, {
      signal: AbortSignal.timeout(30_000),
    })
    assert.equal(res.status, 200)
    assert.equal(
      createHash('sha256')
        .update(new Uint8Array(await res.arrayBuffer()))
        .digest('hex'),
      put.sha256,
    )
    await second.close()
  })

  test('a wallet that refuses: SignatureRejectedError, nothing pinned in the browser, no manifest published', async () => {
    const before = await harness(page).stat()
    const manifestsBefore = await manifestFiles(resource.dataDir)
    await assert.rejects(
      harness(page).upload({ rpcUrl: anvil.rpcUrl, account, refuse: true }),
      (err: Error) => {
        assert.match(err.message, /SignatureRejectedError/)
        assert.match(err.message, /sign requests: 1/)
        return true
      },
    )
    const afterStat = await harness(page).stat()
    assert.equal(afterStat.store.pinnedBytes, before.store.pinnedBytes, 'no owned slices left behind')
    // Give a manifest that should not exist the time one would take to land.
    await new Promise((r) => setTimeout(r, 500))
    assert.deepEqual(await manifestFiles(resource.dataDir), manifestsBefore)
  })
})
