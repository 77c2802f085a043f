/**
 * Receipts stay off a download's path, on real libp2p over 127.0.0.1: the first slice does not wait for
 * the download ticket (a meta service slow to answer), the reader hears the end before the provider
 * acknowledged the final receipt, and the provider still refuses past its grace and gets every receipt.
 */
import type { Libp2p } from '@libp2p/interface'
import {
  createManifest,
  encodeManifest,
  encodeTicket,
  generateKeyPair,
  issueTicket,
  type KeyPair,
  type Manifest,
  signManifest,
  sliceFile,
} from '@stratos-edge/core'
import {
  createMemoryReceiptHold,
  type ReceiptHoldStore,
  registerSliceProtocols,
  type SliceRecord,
  type SliceService,
} from '@stratos-edge/protocol'
import 'fake-indexeddb/auto'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { NetworkIndex, ProviderInfo } from '../src/node/network-index.js'
import type { Providers } from '../src/node/providers.js'
import { createDownloads } from '../src/node/read/open-download.js'
import { createDownloadTraffic } from '../src/node/traffic/download-traffic.js'
import { createProviderTraffic, type ProviderTraffic } from '../src/node/traffic/provider-traffic.js'
import { createReceiptOutbox } from '../src/node/traffic/receipt-outbox.js'
import type { TrafficStatus } from '../src/node/traffic/traffic-index.js'
import { createIdbSliceStore } from '../src/store/idb-slice-store.js'
import { createWsLibp2p } from './support/ws-libp2p.js'

const NETWORK = 31337
const SLICE = 64 * 1024
const SLICES = 8
const meta = generateKeyPair()
const owner = generateKeyPair()
const status = {
  network: NETWORK,
  genesisMs: 0,
  epochMs: 600_000,
  currentEpoch: 1,
  lateWindowMs: 12_000,
  ticketIssuer: meta.evmAddress,
  epochs: [],
  pending: '0',
  claimable: '0',
  claimed: '0',
} satisfies TrafficStatus

describe('receipts off the download path (real libp2p)', () => {
  let providerNode: Libp2p
  let downloaderNode: Libp2p
  let file: Uint8Array
  let manifest: Manifest
  let manifestBytes: Uint8Array
  const slices = new Map<string, SliceRecord>()
  let service: SliceService | undefined
  let traffic: ProviderTraffic | undefined

  beforeAll(async () => {
    providerNode = await createWsLibp2p({ listen: ['/ip4/127.0.0.1/tcp/0/ws'] })
    downloaderNode = await createWsLibp2p()
    file = new Uint8Array(SLICE * SLICES).map((_, i) => (i * 31 + (i >> 9)) & 0xff)
    const sliced = await sliceFile(file, { sliceSize: SLICE })
    manifest = signManifest(createManifest({ sliced, owner: owner.address }), owner.privateKey)
    manifestBytes = encodeManifest(manifest)
    for (const s of sliced.slices) {
      const data = file.slice(s.offset, s.offset + s.size)
      slices.set(s.hash, { hash: s.hash, fileHash: sliced.fileHash, number: s.number, data })
    }
  })
  afterAll(async () => {
    await Promise.all([providerNode?.stop(), downloaderNode?.stop()])
  })

  /** The provider: serves the file's slices and takes receipts, refusing past `graceBytes`. */
  async function startProvider(hold: ReceiptHoldStore, graceBytes?: number) {
    await service?.unregister()
    traffic?.stop()
    const nodeKey = generateKeyPair()
    const t = createProviderTraffic(
      { network: NETWORK, ...(graceBytes !== undefined ? { graceBytes } : {}) },
      { hold, nodeKey },
    )
    traffic = t
    const refused = { count: 0 }
    service = await registerSliceProtocols(providerNode, {
      store: {
        has: async (hash) => slices.has(hash),
        info: async () => undefined,
        get: async (hash) => slices.get(hash),
        put: async () => false,
        delete: async () => false,
      },
      admitReceipts: (request, peer) => {
        try {
          t.admitFetch(request, peer)
        } catch (err) {
          refused.count++
          throw err
        }
      },
      onSliceServed: (info) => t.served(info.peer, info.bytes),
    })
    await providerNode.unhandle('/stratos-edge/receipt/1.0.0').catch(() => {})
    await t.start(providerNode, {
      submitReceipts: async (r) => ({ accepted: r.length, rejected: [] }),
      trafficStatus: async () => status,
    })
    return refused
  }

  /** The downloader: its meta service answers a ticket request after `ticketDelayMs`. */
  async function downloads(
    downloaderKey: KeyPair,
    ticketDelayMs: number,
    options: {
      node?: Libp2p
      asked?: (AbortSignal | null)[]
      file?: { manifest: Manifest; bytes: Uint8Array }
      outbox?: boolean
      /** Receipt sends after the first (which learns the provider's address) wait this long to dial. */
      slowReceiptsMs?: number
    } = {},
  ) {
    const node = options.node ?? downloaderNode
    const asked = options.asked ?? []
    const read = options.file ?? { manifest, bytes: manifestBytes }
    const provider: ProviderInfo = {
      peerId: providerNode.peerId.toString(),
      multiaddrs: providerNode.getMultiaddrs().map((m) => m.toString()),
      kind: 'light',
    }
    const connect = (_p: ProviderInfo, signal: AbortSignal) =>
      node.dial(providerNode.getMultiaddrs(), { signal })
    const times = { ticket: 0, firstSlice: 0 }
    const index = {
      requestDownloadTicket: async (_request: Uint8Array, signal?: AbortSignal) => {
        asked.push(signal ?? null)
        await new Promise((r) => setTimeout(r, ticketDelayMs))
        times.ticket = performance.now()
        return encodeTicket(
          issueTicket(
            {
              kind: 'download',
              network: NETWORK,
              owner: owner.evmAddress,
              holder: downloaderKey.evmAddress,
              fileHash: read.manifest.fileHash,
              bytesAllowed: 1n << 30n,
              expiresAt: Math.floor(Date.now() / 1000) + 3600,
            },
            meta,
          ),
        )
      },
      trafficStatus: async () => status,
    }
    const store = await createIdbSliceStore({ name: `receipts-off-path-${Math.random()}` })
    const outbox = options.outbox ? createReceiptOutbox({}, { settings: store }) : undefined
    let receiptDials = 0
    const opened = createDownloads(
      { parallelism: 4 },
      {
        store,
        index: {
          getManifest: async () => read.bytes,
          announce: async () => {},
        } as unknown as NetworkIndex,
        providers: {
          lookup: async (hashes: readonly string[]) => new Map(hashes.map((h) => [h, [provider]])),
          connect,
        } as unknown as Providers,
        traffic: createDownloadTraffic(
          { network: NETWORK },
          {
            nodeKey: downloaderKey,
            index,
            connect: async (p, signal) => {
              if (receiptDials++ > 0) await new Promise((r) => setTimeout(r, options.slowReceiptsMs ?? 0))
              return connect(p, signal)
            },
            ...(outbox ? { outbox } : {}),
          },
        ),
        onFetched: () => {
          times.firstSlice ||= performance.now()
        },
        onTicketError: (err) => {
          throw err
        },
      },
    )
    return { opened, times, store, index }
  }

  /** Reads the whole download; the time the reader heard the end. */
  async function readAll(read: { next(): Promise<Uint8Array | undefined> }) {
    const parts: Uint8Array[] = []
    for (let b = await read.next(); b; b = await read.next()) parts.push(b)
    const end = performance.now()
    expect(Buffer.concat(parts).equals(Buffer.from(file))).toBe(true)
    return end
  }

  it('the first slice does not wait for a ticket the meta service answers 2 s late; past its grace the provider waits for it', async () => {
    const hold = createMemoryReceiptHold()
    const refused = await startProvider(hold, 2 * SLICE)
    const { opened, times, store } = await downloads(generateKeyPair(), 2000)
    const started = performance.now()
    const read = await opened.open(manifest.fileHash, AbortSignal.timeout(20_000))
    await readAll(read)
    expect(times.firstSlice - started).toBeLessThan(1500)
    expect(times.firstSlice).toBeLessThan(times.ticket)
    // Two slices were served unsigned; the provider refused more until the receipt came.
    expect(refused.count).toBeGreaterThan(0)
    await vi.waitFor(
      async () => expect((await hold.list()).map((h) => h.receipt.bytes)).toEqual([file.length]),
      {
        timeout: 15_000,
      },
    )
    await store.close()
  })

  it('the reader hears the end before the provider acknowledged the final receipt, which it still gets', async () => {
    const inner = createMemoryReceiptHold()
    let heldAt = 0
    // A provider slow to store the receipt (a busy disk): the receipt's reply waits on it.
    const hold: ReceiptHoldStore = {
      ...inner,
      put: async (key, held) => {
        await new Promise((r) => setTimeout(r, 1000))
        await inner.put(key, held)
        if (held.receipt.bytes === file.length) heldAt = performance.now()
      },
    }
    await startProvider(hold)
    const { opened, store } = await downloads(generateKeyPair(), 0)
    const read = await opened.open(manifest.fileHash, AbortSignal.timeout(20_000))
    const ended = await readAll(read)
    expect(heldAt).toBe(0)
    await vi.waitFor(() => expect(heldAt).toBeGreaterThan(0), { timeout: 15_000 })
    expect(ended).toBeLessThan(heldAt)
    expect((await inner.list()).map((h) => h.receipt.bytes)).toEqual([file.length])
    await store.close()
  })

  it('a 3-slice download whose node stops right after the reader heard the end pays its provider on the next start', async () => {
    // A small file: one receipt interval, so nothing was signed before the end.
    const smallFile = file.slice(0, 3 * SLICE)
    const sliced = await sliceFile(smallFile, { sliceSize: SLICE })
    const small = signManifest(createManifest({ sliced, owner: owner.address }), owner.privateKey)
    for (const x of sliced.slices) {
      const data = smallFile.slice(x.offset, x.offset + x.size)
      slices.set(x.hash, { hash: x.hash, fileHash: sliced.fileHash, number: x.number, data })
    }
    const hold = createMemoryReceiptHold()
    await startProvider(hold)
    const key = generateKeyPair()
    const node = await createWsLibp2p()
    const { opened, store, index } = await downloads(key, 0, {
      node,
      file: { manifest: small, bytes: encodeManifest(small) },
      outbox: true,
      // The final receipt has not left when the tab closes.
      slowReceiptsMs: 1000,
    })
    const read = await opened.open(small.fileHash, AbortSignal.timeout(20_000))
    let got = 0
    for (let b = await read.next(); b; b = await read.next()) got += b.length
    expect(got).toBe(smallFile.length)
    // The tab closes as soon as the file is saved.
    await node.stop()
    await new Promise((r) => setTimeout(r, 1200))
    expect(await hold.list()).toEqual([])
    // The next start: the same store, a new libp2p node.
    const next = await createWsLibp2p()
    const traffic = createDownloadTraffic(
      { network: NETWORK },
      {
        nodeKey: key,
        index,
        connect: (_p, signal) => next.dial(providerNode.getMultiaddrs(), { signal }),
        outbox: createReceiptOutbox({}, { settings: store }),
      },
    )
    await traffic.resend(AbortSignal.timeout(15_000))
    expect((await hold.list()).map((h) => h.receipt.bytes)).toEqual([smallFile.length])
    // Acknowledged: nothing left to send.
    expect(await createReceiptOutbox({}, { settings: store }).list()).toEqual([])
    await next.stop()
    await store.close()
  })

  it('a download cancelled before its first slice abandons its ticket request', async () => {
    await startProvider(createMemoryReceiptHold())
    const asked: (AbortSignal | null)[] = []
    const { opened, store } = await downloads(generateKeyPair(), 2000, { asked })
    const read = await opened.open(manifest.fileHash, AbortSignal.timeout(20_000))
    read.cancel()
    await new Promise((r) => setTimeout(r, 300))
    // Not asked at all, or asked and abandoned: no ozone stays reserved for an hour.
    expect(asked.every((s) => s?.aborted === true)).toBe(true)
    await store.close()
  })
})
