// Browser e2e of Proof of Traffic: a dApp prepays on Polygon, its wallet uploads from browser A,
// browser B downloads the file from A over WebRTC and signs receipts for A, the epoch closes and the
// meta service posts its root to TrafficRewards (2 of 3 committee keys), A claims, and A's STOS
// balance rises by exactly the reward the epoch's report gives it. A replayed, a forged and a
// self-dealt receipt, submitted by a Node peer with a real download ticket, pay nobody.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { Libp2p } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import {
  computeSliceHash,
  decodeTicket,
  encodeDownloadTicketRequest,
  encodeReceipt,
  type FileHash,
  generateKeyPair,
  privateKeySigner,
  signDownloadTicketRequest,
  signReceipt,
} from '@stratos-edge/core'
import { createIndexClient } from '@stratos-edge/protocol'
import type { Browser, Page } from 'playwright-core'
import { NETNS_ADDRESS } from '../scripts/test-network.mjs'
import { launchChromium } from './support/browser.ts'
import { FIXTURE_DIR, loadFixture } from './support/fixture-page.ts'
import { createNodePeer } from './support/node-peer.ts'
import { E2E_NETWORK } from './support/resource-node.ts'
import { serveStatic } from './support/static-server.ts'
import { startTrafficNetwork, type TrafficNetwork } from './support/traffic-network.ts'

const FILE_SIZE = 3 * 1024 * 1024 + 5
const SLICE_SIZE = 1024 * 1024
const EPOCH_SECONDS = 8

interface TrafficEpoch {
  epoch: number
  bytesServed: number
  receipts: number
  reward: string
  state: string
}
interface TrafficSummary {
  account: string
  currentEpoch: number
  epochs: TrafficEpoch[]
  claimable: string
  claimed: string
  balance?: string
}
interface Harness {
  start(o: unknown): Promise<{ peerId: string }>
  uploadWithWallet(
    size: number,
    w: { rpcUrl: string; account: string },
  ): Promise<{ uri: string; fileHash: string; sha256: string }>
  download(ref: string): Promise<{ size: number; sha256: string }>
  traffic(): Promise<TrafficSummary>
  claimWithWallet(w: {
    rpcUrl: string
    account: string
  }): Promise<{ epochs: number[]; amount: string; txHashes: string[] }>
  events: { type: string; detail: { peerId?: string; epoch?: number; reward?: string } }[]
  node: {
    stat(): Promise<{ connections: { peerId: string; kind: string }[] }>
    drop(fileHash: string): Promise<void>
  }
}
type W = Window & { harness: Harness }

let net: TrafficNetwork
let server: { url: string; close(): Promise<void> }
let browser: Browser
let a: Page
let b: Page
let aPeer: string
let peer: Libp2p | undefined
let uploaded: { uri: string; fileHash: string; sha256: string }

const until = async <T>(what: string, ms: number, fn: () => Promise<T | undefined>): Promise<T> => {
  const deadline = Date.now() + ms
  for (;;) {
    const got = await fn()
    if (got !== undefined) return got
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 500))
  }
}

describe('Proof of Traffic: a browser earns STOS for the bytes it serves', () => {
  before(async () => {
    server = await serveStatic(FIXTURE_DIR, '127.0.0.1')
    net = await startTrafficNetwork({
      host: NETNS_ADDRESS,
      epochSeconds: EPOCH_SECONDS,
      lateWindowSeconds: 2,
    })
    browser = await launchChromium()
    const open = async (name: string): Promise<Page> => {
      const page = await loadFixture(await (await browser.newContext()).newPage(), server.url, name)
      const started = await page.evaluate((o) => (window as unknown as W).harness.start(o), {
        resourceNodes: [net.resource.wsAddr],
        ...(net.resource.gatewayUrl ? { gatewayUrl: net.resource.gatewayUrl } : {}),
        iceServers: [],
        storeName: `e2e-pot-${name}`,
        sliceSize: SLICE_SIZE,
        network: E2E_NETWORK,
        polygonRpc: net.polygonRpc,
      })
      if (name === 'a') aPeer = started.peerId
      return page
    }
    a = await open('a')
    b = await open('b')
  })

  after(async () => {
    await peer?.stop().catch(() => {})
    await browser?.close().catch(() => {})
    await net?.stop().catch(() => {})
    await server?.close().catch(() => {})
  })

  test('the prepaid owner uploads from A; B downloads it from A over WebRTC', async () => {
    // The payment watcher credits the prepayment within a poll or two: until then the ticket is refused.
    uploaded = await until('the prepayment to be credited', 30_000, async () => {
      try {
        return await a.evaluate(
          (w) => (window as unknown as W).harness.uploadWithWallet(3 * 1024 * 1024 + 5, w),
          { rpcUrl: net.polygonRpc, account: net.dapp.address },
        )
      } catch (err) {
        if (/InsufficientOzoneError/.test(String(err))) return undefined
        throw err
      }
    })
    const got = await b.evaluate((u) => (window as unknown as W).harness.download(u), uploaded.uri)
    assert.equal(got.size, FILE_SIZE)
    assert.equal(got.sha256, uploaded.sha256)
    const fetched = (await b.evaluate(() => (window as unknown as W).harness.events)).filter(
      (e) => e.type === 'slice:fetched',
    )
    assert.equal(fetched.length, 4)
    assert.ok(
      fetched.every((e) => e.detail.peerId === aPeer),
      `every slice came from A: ${JSON.stringify(fetched)}`,
    )
    const stat = await b.evaluate(() => (window as unknown as W).harness.node.stat())
    assert.ok(
      stat.connections.some((c) => c.peerId === aPeer && c.kind === 'webrtc'),
      `B has a direct WebRTC connection to A: ${JSON.stringify(stat.connections)}`,
    )
    const ticketErrors = (await b.evaluate(() => (window as unknown as W).harness.events)).filter(
      (e) => e.type === 'traffic:ticket-error',
    )
    assert.deepEqual(ticketErrors, [], 'B got a download ticket')
  })

  test('a replayed, a forged and a self-dealt receipt are refused', async () => {
    // A Node peer with its own key and a real download ticket for the file.
    peer = await createNodePeer()
    const index = createIndexClient(peer, multiaddr(net.resource.wsAddr))
    const downloader = generateKeyPair()
    const request = await signDownloadTicketRequest(
      { network: E2E_NETWORK, fileHash: uploaded.fileHash as FileHash, owner: net.dapp.address },
      privateKeySigner(downloader.privateKey),
    )
    const ticket = decodeTicket(await index.requestDownloadTicket(encodeDownloadTicketRequest(request)))
    const { currentEpoch } = await index.trafficStatus()
    const sliceHash = computeSliceHash(1, new Uint8Array(1), uploaded.fileHash as FileHash)
    const receipt = (provider: string, bytes: number, nonce: bigint) =>
      signReceipt(
        {
          network: E2E_NETWORK,
          epoch: currentEpoch,
          provider,
          fileHash: uploaded.fileHash as FileHash,
          sliceHash,
          bytes,
          ticketId: ticket.id,
          nonce,
        },
        downloader,
      )
    const honest = generateKeyPair().evmAddress
    const replayedTo = generateKeyPair().evmAddress
    const forgedTo = generateKeyPair().evmAddress
    const forged = encodeReceipt(receipt(forgedTo, 1000, 8n))
    forged[forged.length - 20]! ^= 0xff
    const result = await index.submitReceipts([
      encodeReceipt(receipt(honest, 1000, 7n)),
      // the same nonce of the same ticket again, for another provider and more bytes
      encodeReceipt(receipt(replayedTo, 2000, 7n)),
      forged,
      // the downloader names itself as the provider
      encodeReceipt(receipt(downloader.evmAddress, 1000, 9n)),
    ])
    assert.equal(result.accepted, 1)
    assert.deepEqual(
      result.rejected.map((r) => [r.index, r.reason]),
      [
        [1, 'replayed'],
        [2, 'forged'],
        [3, 'self-dealing'],
      ],
    )
    // The refused ones count for nobody once the epoch settles (checked with the balances below).
    adversarial = { epoch: currentEpoch, honest, refused: [replayedTo, forgedTo, downloader.evmAddress] }
  })

  test('the epoch closes, A claims, and its STOS balance rises by exactly its reward', async () => {
    const summary = await until('an epoch of A to be claimable', 90_000, async () => {
      const s = await a.evaluate(() => (window as unknown as W).harness.traffic())
      return s.epochs.some((e) => e.state === 'claimable') ? s : undefined
    })
    const claimable = summary.epochs.filter((e) => e.state === 'claimable')
    const served = summary.epochs.reduce((n, e) => n + e.bytesServed, 0)
    assert.equal(served, FILE_SIZE, 'A holds receipts for every byte B got from it')
    const reward = claimable.reduce((n, e) => n + BigInt(e.reward), 0n)
    assert.ok(reward > 0n)
    assert.equal(BigInt(summary.claimable), reward)
    const before = await net.stosBalance(summary.account)
    assert.equal(summary.balance, before.toString(), 'traffic() reads the balance over polygonRpc')

    const claim = await a.evaluate((w) => (window as unknown as W).harness.claimWithWallet(w), {
      rpcUrl: net.polygonRpc,
      account: net.claimer.address,
    })
    assert.deepEqual(
      claim.epochs,
      claimable.map((e) => e.epoch),
    )
    assert.equal(claim.amount, reward.toString())
    const afterClaim = await net.stosBalance(summary.account)
    assert.equal(afterClaim - before, reward, 'A got exactly the epoch report’s reward')
    const again = await a.evaluate(() => (window as unknown as W).harness.traffic())
    assert.ok(again.epochs.filter((e) => claim.epochs.includes(e.epoch)).every((e) => e.state === 'claimed'))
    // The node asks the meta service a few times per epoch: the event comes within one of its polls.
    await until('traffic:settled', 10_000, async () => {
      const events = await a.evaluate(() => (window as unknown as W).harness.events)
      const settled = events.filter((e) => e.type === 'traffic:settled')
      return settled.some((e) => claim.epochs.includes(e.detail.epoch as number)) ? true : undefined
    })
  })

  test('a later epoch is claimed with the node key, which pays its own gas', async () => {
    const first = await a.evaluate(() => (window as unknown as W).harness.traffic())
    const paid = new Set(first.epochs.map((e) => e.epoch))
    await net.fundGas(first.account, 10n ** 18n)
    // B reads the file again (its cache dropped): new receipts for A, in a new epoch.
    await b.evaluate((f) => (window as unknown as W).harness.node.drop(f), uploaded.fileHash)
    const got = await b.evaluate((u) => (window as unknown as W).harness.download(u), uploaded.uri)
    assert.equal(got.sha256, uploaded.sha256)
    const summary = await until('a new epoch of A to be claimable', 90_000, async () => {
      const s = await a.evaluate(() => (window as unknown as W).harness.traffic())
      return s.epochs.some((e) => e.state === 'claimable' && !paid.has(e.epoch)) ? s : undefined
    })
    const reward = summary.epochs
      .filter((e) => e.state === 'claimable')
      .reduce((n, e) => n + BigInt(e.reward), 0n)
    const before = await net.stosBalance(summary.account)
    const claim = await a.evaluate(() => (window as unknown as W).harness.claimWithNodeKey())
    assert.equal(claim.amount, reward.toString())
    assert.equal((await net.stosBalance(summary.account)) - before, reward)
  })

  test('the refused receipts changed no balance', async () => {
    assert.ok(peer && adversarial)
    const index = createIndexClient(peer, multiaddr(net.resource.wsAddr))
    const { epoch, honest, refused } = adversarial
    // The honest receipt of the same submission is paid once its epoch settles: the signal that it did.
    await until(`epoch ${epoch} to settle`, 90_000, async () => {
      const s = await index.trafficStatus(honest)
      return s.epochs.some((e) => e.epoch === epoch && e.settled) ? true : undefined
    })
    for (const account of refused) {
      const s = await index.trafficStatus(account)
      assert.equal(s.claimable, '0', `${account} earned nothing`)
      assert.equal(s.pending, '0', `${account} has nothing pending`)
      assert.equal(await net.stosBalance(account), 0n, `${account} has no STOS`)
      await assert.rejects(index.rewardProof(epoch, account), { name: 'NoRewardError' })
    }
  })
})

let adversarial: { epoch: number; honest: string; refused: string[] } | undefined
