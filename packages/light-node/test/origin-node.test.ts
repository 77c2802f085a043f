/**
 * One node per origin, with the tabs played by several createOriginNode calls in one process: real
 * BroadcastChannels (Node's), a lock manager double with the Web Locks semantics used (exclusive,
 * ifAvailable, a FIFO queue, abort), and fake nodes in place of the worker.
 */
import {
  type Eip1193Provider,
  generateKeyPair,
  privateKeySigner,
  recoverTypedDataSigner,
  type TypedData,
} from '@stratos-edge/core'
import { afterEach, describe, expect, it } from 'vitest'
import type {
  DownloadProgress,
  GetOptions,
  LightNodeOptions,
  LightNodeStat,
  PutOptions,
  WithdrawOptions,
} from '../src/api-types.js'
import type { LightNode } from '../src/client/create-light-node.js'
import { createOriginNode } from '../src/client/origin-node.js'

class FakeLocks {
  private held = new Set<string>()
  private queue = new Map<string, (() => void)[]>()
  request(
    name: string,
    optionsOrCallback: LockOptions | ((lock: Lock | null) => unknown),
    maybeCallback?: (lock: Lock | null) => unknown,
  ): Promise<unknown> {
    const options = typeof optionsOrCallback === 'function' ? {} : optionsOrCallback
    const callback = (maybeCallback ?? optionsOrCallback) as (lock: Lock | null) => unknown
    if (this.held.has(name)) {
      if (options.ifAvailable) return Promise.resolve(callback(null))
      return new Promise((resolve, reject) => {
        const grant = () => resolve(this.grant(name, callback))
        const q = this.queue.get(name) ?? []
        q.push(grant)
        this.queue.set(name, q)
        options.signal?.addEventListener('abort', () => {
          const at = q.indexOf(grant)
          if (at < 0) return
          q.splice(at, 1)
          reject(new DOMException('aborted', 'AbortError'))
        })
      })
    }
    return this.grant(name, callback)
  }
  /** Releases every held lock whose name starts with `prefix`, as the browser does for a closed tab. */
  forceRelease(prefix: string): void {
    for (const name of [...this.held].filter((n) => n.startsWith(prefix))) {
      this.held.delete(name)
      this.queue.get(name)?.shift()?.()
    }
  }
  private grant(name: string, callback: (lock: Lock | null) => unknown): Promise<unknown> {
    this.held.add(name)
    const done = Promise.resolve(callback({ name, mode: 'exclusive' } as Lock))
    void done.finally(() => {
      this.held.delete(name)
      this.queue.get(name)?.shift()?.()
    })
    return done
  }
}

/** What the fake node asks a put's signer to sign. */
const SAMPLE_DATA: TypedData = {
  domain: { name: 'test' },
  types: { Note: [{ name: 'text', type: 'string' }] },
  primaryType: 'Note',
  message: { text: 'hello' },
}

/** A node double tagged with the tab that started it. */
function fakeNode(tab: string, onEnd: (reason: Error) => void): LightNode & EventTarget {
  const events = new EventTarget()
  const node = Object.assign(events, {
    peerId: 'peer-of-the-store',
    // With a signer, the node asks it for one signature (of the manifest, in the real node).
    put: async (file: Blob | Uint8Array, options?: PutOptions) => ({
      fileHash: `put-by-${tab}`,
      size: (file as Uint8Array).byteLength,
      ...(options?.signer && 'address' in options.signer
        ? {
            owner: options.signer.address,
            signature: await options.signer.signTypedData(SAMPLE_DATA),
          }
        : {}),
    }),
    get: (ref: string, getOptions?: GetOptions) =>
      new ReadableStream<Uint8Array>({
        start(c) {
          // The node's own progress of this download: one report, naming the tab whose node ran it.
          getOptions?.onProgress?.({ ref, bytes: 1, peerId: tab } as unknown as DownloadProgress)
          c.enqueue(new TextEncoder().encode(`${ref} from ${tab}`))
          if (ref !== 'endless') c.close()
        },
        cancel() {
          cancelled.push(ref)
        },
      }),
    stat: async () => ({ peerId: tab }) as unknown as LightNodeStat,
    contribute: async ({ bytes }: { bytes: number }) => ({ budgetBytes: bytes, persisted: false }),
    drop: async () => {},
    files: async () => [{ fileHash: `owned-by-${tab}` }],
    // Like put: with a signer, one signature (of the delete, in the real node).
    withdraw: async (fileHash: string, options?: WithdrawOptions) => ({
      fileHash,
      tab,
      ...(options?.signer && 'address' in options.signer
        ? { owner: options.signer.address, signature: await options.signer.signTypedData(SAMPLE_DATA) }
        : {}),
    }),
    stop: async () => onEnd(new Error('stopped')),
  })
  return node as unknown as LightNode & EventTarget
}

const options: LightNodeOptions = { resourceNodes: [], storeName: 'test-store' }
/** Downloads the fake nodes saw cancelled. */
const cancelled: string[] = []
let locks: FakeLocks
let started: string[]
let tabs: LightNode[] = []
const nodes = new Map<string, LightNode & EventTarget>()

/** Tabs whose node fails to start. */
const broken = new Set<string>()
/** Each tab's last `onEnd`: calling it plays the tab's worker being lost. */
const ends = new Map<string, (reason: Error) => void>()

function openTab(name: string): Promise<LightNode> {
  return createOriginNode(options, {
    locks: locks as unknown as LockManager,
    startLocal: async (_o, onEnd) => {
      started.push(name)
      if (broken.has(name)) throw Object.assign(new Error('no worker here'), { name: 'NodeStartError' })
      const node = fakeNode(name, onEnd)
      nodes.set(name, node)
      ends.set(name, onEnd)
      return node
    },
  }).then((tab) => {
    tabs.push(tab)
    return tab
  })
}

const text = async (stream: ReadableStream<Uint8Array>) => new Response(stream).text()
/** Waits (at most 2 s) until `check` holds; a call that fails (made while the leader left) counts as not yet. */
const until = async (check: () => Promise<boolean>) => {
  for (let i = 0; i < 100 && !(await check().catch(() => false)); i++)
    await new Promise((r) => setTimeout(r, 20))
}

afterEach(async () => {
  for (const tab of tabs) await tab.stop()
  tabs = []
  nodes.clear()
})

describe('createOriginNode', () => {
  it('runs one node: the second tab uses the first tab’s node, its calls, downloads and events', async () => {
    locks = new FakeLocks()
    started = []
    const a = await openTab('a')
    const b = await openTab('b')
    expect(started).toEqual(['a'])
    expect(b.peerId).toBe(a.peerId)
    expect((await b.stat()).peerId).toBe('a')
    expect(await text(b.get('file-1'))).toBe('file-1 from a')
    const reader = b.get('file-2').getReader({ mode: 'byob' })
    const r = await reader.read(new Uint8Array(64))
    expect(new TextDecoder().decode(r.value)).toBe('file-2 from a')
    expect(await b.put(new Uint8Array(5))).toMatchObject({ fileHash: 'put-by-a', size: 5 })
    expect(await b.contribute({ bytes: 7 })).toEqual({ budgetBytes: 7, persisted: false })
    const seen: unknown[] = []
    b.addEventListener('slice:served', (e) => seen.push(e.detail))
    nodes
      .get('a')
      ?.dispatchEvent(new CustomEvent('slice:served', { detail: { hash: 'h', bytes: 1, peerId: 'p' } }))
    await until(async () => seen.length > 0)
    expect(seen).toEqual([{ hash: 'h', bytes: 1, peerId: 'p' }])
  })

  it('asks the wallet of the tab that called put for its signature, over that tab’s channel', async () => {
    locks = new FakeLocks()
    started = []
    await openTab('a')
    const b = await openTab('b')
    const wallet = generateKeyPair()
    const put = (await b.put(new Uint8Array(3), {
      signer: privateKeySigner(wallet.privateKey),
    })) as unknown as {
      fileHash: string
      owner: string
      signature: Uint8Array
    }
    expect(put).toMatchObject({ fileHash: 'put-by-a', owner: wallet.evmAddress })
    expect(recoverTypedDataSigner(SAMPLE_DATA, put.signature)).toBe(wallet.evmAddress)
    // The user refuses in the calling tab: the leader's put fails with the typed error.
    const refusing: Eip1193Provider = {
      async request({ method }) {
        if (method === 'eth_accounts') return [wallet.evmAddress]
        throw Object.assign(new Error('User rejected the request.'), { code: 4001 })
      },
    }
    await expect(b.put(new Uint8Array(3), { signer: refusing })).rejects.toMatchObject({
      name: 'SignatureRejectedError',
    })
  })

  it('lists the leader’s files and withdraws with the calling tab’s wallet', async () => {
    locks = new FakeLocks()
    started = []
    await openTab('a')
    const b = await openTab('b')
    expect(await b.files()).toEqual([{ fileHash: 'owned-by-a' }])
    const wallet = generateKeyPair()
    const done = (await b.withdraw('v05file', {
      signer: privateKeySigner(wallet.privateKey),
    })) as unknown as {
      fileHash: string
      tab: string
      owner: string
      signature: Uint8Array
    }
    expect(done).toMatchObject({ fileHash: 'v05file', tab: 'a', owner: wallet.evmAddress })
    expect(recoverTypedDataSigner(SAMPLE_DATA, done.signature)).toBe(wallet.evmAddress)
    expect(await b.withdraw('v05other')).toEqual({ fileHash: 'v05other', tab: 'a' })
  })

  it('when the leading tab stops, the next tab takes the node over and the others follow it', async () => {
    locks = new FakeLocks()
    started = []
    const a = await openTab('a')
    const b = await openTab('b')
    const c = await openTab('c')
    expect((await c.stat()).peerId).toBe('a')
    await a.stop()
    await until(async () => started.length === 2)
    expect(started).toEqual(['a', 'b'])
    expect((await b.stat()).peerId).toBe('b')
    await until(async () => (await c.stat()).peerId === 'b')
    expect((await c.stat()).peerId).toBe('b')
    expect(await text(c.get('file-3'))).toBe('file-3 from b')
  })
  it('a leading tab whose worker was lost follows the new leader, and leads again when it leaves', async () => {
    locks = new FakeLocks()
    started = []
    const a = await openTab('a')
    const b = await openTab('b')
    expect((await a.stat()).peerId).toBe('a')
    ends.get('a')?.(Object.assign(new Error('the worker ended'), { name: 'WorkerLostError' }))
    await until(async () => started.length === 2)
    expect(started).toEqual(['a', 'b'])
    expect((await b.stat()).peerId).toBe('b')
    // Tab a no longer uses its dead node: it follows b.
    await until(async () => (await a.stat()).peerId === 'b')
    expect((await a.stat()).peerId).toBe('b')
    // And it queued for the lock again: when b stops, a starts a node of its own.
    await b.stop()
    await until(async () => started.length === 3)
    expect(started).toEqual(['a', 'b', 'a'])
    await until(async () => (await a.stat()).peerId === 'a')
    expect((await a.stat()).peerId).toBe('a')
  })

  it("a follower's download reports its own progress only, apart from another of the same file", async () => {
    locks = new FakeLocks()
    started = []
    await openTab('a')
    const b = await openTab('b')
    const c = await openTab('c')
    const seen: Record<string, string[]> = { b1: [], b2: [], c1: [] }
    const read = (tab: LightNode, key: string) =>
      text(tab.get('same-file', { onProgress: (p) => seen[key]?.push(`${p.ref}@${p.peerId}`) }))
    await Promise.all([read(b, 'b1'), read(b, 'b2'), read(c, 'c1')])
    await until(async () => Object.values(seen).every((l) => l.length > 0))
    expect(seen).toEqual({ b1: ['same-file@a'], b2: ['same-file@a'], c1: ['same-file@a'] })
  })

  it('drops the downloads of a tab that closed without a word (its lock was released)', async () => {
    locks = new FakeLocks()
    started = []
    await openTab('a')
    const b = await openTab('b')
    const reader = b.get('endless').getReader()
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('endless from a')
    expect(cancelled).toEqual([])
    // Tab b is gone: the browser releases its locks; it sent no close.
    locks.forceRelease('stratos-edge-node:test-store:')
    await until(async () => cancelled.length > 0)
    expect(cancelled).toEqual(['endless'])
  })
  it('fails the calls of a tab that took the node over but could not start it', async () => {
    locks = new FakeLocks()
    started = []
    const a = await openTab('a')
    broken.add('b')
    const b = await openTab('b')
    await a.stop()
    await until(async () => started.length === 2)
    await expect(b.stat()).rejects.toMatchObject({ name: 'NodeStartError' })
    broken.clear()
  })
})
