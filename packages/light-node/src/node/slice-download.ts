import type { Connection, Libp2p } from '@libp2p/interface'
import { AbortedError, isErrorNamed, type Manifest, type SliceHash } from '@stratos-edge/core'
import { fetchSlice, SLICE_FETCH_PROTOCOL } from '@stratos-edge/protocol'
import { NoProviderError } from '../errors.js'
import type { IdbSliceStore } from '../store/idb-slice-store.js'
import type { ProviderInfo } from './network-index.js'

/** Inputs of a {@link SliceDownload}. */
export interface SliceDownloadInit {
  manifest: Manifest
  store: IdbSliceStore
  libp2p: Libp2p
  signal: AbortSignal
  /** Slices fetched at once. */
  parallelism: number
  /** Providers per slice hash; rejects with the signal's reason once it is aborted. */
  providers(hashes: readonly string[], signal: AbortSignal): Promise<Map<string, ProviderInfo[]>>
  /** A connection for slice traffic; `fresh` closes existing ones first (they failed to open a stream). */
  connect(provider: ProviderInfo, signal: AbortSignal, fresh?: boolean): Promise<Connection>
  onFetched?(hash: string, bytes: number, peerId: string): void
  onDropped?(peerId: string, reason: string): void
  /** Called with the hashes fetched and stored (for announcing). */
  onComplete?(hashes: string[]): void
  /** Longest silence from a provider during a transfer before it counts as stalled; default 5 s. */
  stallTimeoutMs?: number
  /** Time allowed for one slice from one provider before it counts as slow; default 5 s + 4 ms per KB (after connecting). */
  sliceTimeoutMs?: number
}

/** Longest silence from a provider during a slice transfer before it counts as stalled. */
const STALL_TIMEOUT_MS = 5000

interface Deferred {
  promise: Promise<Uint8Array>
  resolve(v: Uint8Array): void
  reject(e: unknown): void
}

function deferred(): Deferred {
  let resolve!: (v: Uint8Array) => void
  let reject!: (e: unknown) => void
  const promise = new Promise<Uint8Array>((a, b) => {
    resolve = a
    reject = b
  })
  promise.catch(() => {})
  return { promise, resolve, reject }
}

/**
 * Downloads a file's slices in parallel from several providers (browsers over direct WebRTC first,
 * resource nodes after), verifies each, caches it in the store (best-effort) and yields the bytes in order.
 * A provider that sends a bad slice or is too slow is dropped for the rest of the download and the slice
 * is fetched elsewhere. Memory is bounded: at most `2 × parallelism` slices ahead of the reader.
 */
export class SliceDownload {
  /** One per slice; emptied once the reader took it, so its bytes are not kept to the end. */
  private readonly slots: (Deferred | undefined)[]
  private nextToFetch = 0
  private nextToRead = 0
  private readonly bad = new Set<string>()
  private readonly redials = new Map<string, Promise<Connection>>()
  private readonly fetchedHashes: string[] = []
  private readonly controller = new AbortController()
  private readonly signal: AbortSignal
  private readonly wakeups: (() => void)[] = []
  private providerMap: Promise<Map<string, ProviderInfo[]>> | undefined
  private roundRobin = 0

  constructor(private readonly init: SliceDownloadInit) {
    this.slots = init.manifest.slices.map(() => deferred())
    this.signal = AbortSignal.any([init.signal, this.controller.signal])
  }

  start(): void {
    const workers = Math.max(1, Math.min(this.init.parallelism, this.slots.length))
    for (let i = 0; i < workers; i++) void this.worker()
  }

  cancel(): void {
    this.controller.abort(new AbortedError('Download cancelled', 'Start it again'))
    for (const w of this.wakeups.splice(0)) w()
  }

  /** The next slice's bytes in order, or undefined at the end. */
  async next(): Promise<Uint8Array | undefined> {
    if (this.nextToRead >= this.slots.length) {
      if (this.fetchedHashes.length > 0) await this.announceCached(this.fetchedHashes.splice(0))
      return undefined
    }
    const index = this.nextToRead
    const data = await (this.slots[index] as Deferred).promise
    this.slots[index] = undefined
    this.nextToRead = index + 1
    for (const w of this.wakeups.splice(0)) w()
    return data
  }

  private async worker(): Promise<void> {
    const ahead = this.init.parallelism * 2
    while (!this.signal.aborted) {
      while (this.nextToFetch - this.nextToRead >= ahead && !this.signal.aborted) {
        await new Promise<void>((resolve) => this.wakeups.push(resolve))
      }
      if (this.signal.aborted) return
      const index = this.nextToFetch++
      if (index >= this.slots.length) return
      const slot = this.slots[index] as Deferred
      try {
        slot.resolve(await this.obtain(index))
      } catch (err) {
        slot.reject(err)
        this.controller.abort(err)
        for (const s of this.slots) s?.reject(err)
        return
      }
    }
  }

  private async obtain(index: number): Promise<Uint8Array> {
    const slice = this.init.manifest.slices[index]
    if (!slice) throw new Error(`No slice ${index}`)
    const { store } = this.init
    if (await store.has(slice.hash)) {
      try {
        return await store.get(slice.hash)
      } catch {
        // Corrupt locally: deleted by the store; fetch it below.
      }
    }
    this.providerMap ??= this.init.providers(
      this.init.manifest.slices.map((s) => s.hash),
      this.signal,
    )
    const providers = (await this.providerMap).get(slice.hash) ?? []
    const candidates = this.order(providers)
    const errors: string[] = []
    for (const provider of candidates) {
      if (this.bad.has(provider.peerId)) continue
      this.signal.throwIfAborted()
      let data: Uint8Array
      try {
        data = await this.fetchWithRedial(provider, slice.hash as SliceHash, slice.size)
      } catch (err) {
        if (this.signal.aborted) throw err
        const name = (err as Error)?.name ?? 'Error'
        errors.push(`${provider.peerId}: ${name}`)
        if (isErrorNamed(err, 'SliceNotFoundError')) continue
        // A wrong hash, a timeout or a broken connection: drop this provider for the rest of the download.
        this.bad.add(provider.peerId)
        this.init.onDropped?.(provider.peerId, `${name}: ${(err as Error)?.message ?? ''}`)
        continue
      }
      // Outside the provider's try: a full store is no fault of the provider.
      await this.cache(slice, data)
      this.init.onFetched?.(slice.hash, data.byteLength, provider.peerId)
      return data
    }
    throw new NoProviderError(
      `No provider delivered slice ${slice.number} (${slice.hash}): ${errors.join('; ') || 'no providers known'}`,
      'Try again later, or check that a resource node holds the file',
    )
  }

  /** Keeps a fetched slice as a cached one; best-effort: a slice the store refuses is only not cached. */
  private async cache(slice: { hash: string; number: number }, data: Uint8Array): Promise<void> {
    try {
      await this.init.store.put({
        hash: slice.hash as SliceHash,
        fileHash: this.init.manifest.fileHash,
        number: slice.number,
        data,
        pinned: false,
      })
      this.fetchedHashes.push(slice.hash)
    } catch {
      // Quota or budget: the reader still gets the bytes.
    }
  }

  /**
   * Announces the slices cached by this download once written. A failed write does not fail a download
   * whose bytes were all delivered; only the slices the store then holds are announced.
   */
  private async announceCached(hashes: string[]): Promise<void> {
    const { store } = this.init
    await store.flush().catch(() => {})
    // A cached slice that did not fit was left out, and a later one may have evicted an earlier one.
    const held: string[] = []
    for (const hash of hashes) if (await store.has(hash).catch(() => false)) held.push(hash)
    if (held.length > 0) this.init.onComplete?.(held)
  }

  /**
   * Fetches from a provider; when that fails on a connection that was already open for anything but bad
   * data or a missing slice, redials once (a peer that reloaded leaves a dead connection that is only
   * noticed after 10–15 s) before the caller gives up on the provider.
   */
  private async fetchWithRedial(provider: ProviderInfo, hash: SliceHash, size: number): Promise<Uint8Array> {
    const redial = this.redials.get(provider.peerId)
    try {
      return await this.fetchFrom(provider, hash, size)
    } catch (err) {
      if (this.signal.aborted) throw err
      if (isErrorNamed(err, 'SliceHashMismatchError') || isErrorNamed(err, 'SliceNotFoundError')) throw err
      // One redial per provider and download, shared by the fetches that failed on the old connection.
      let pending = this.redials.get(provider.peerId)
      if (pending && pending === redial) throw err
      if (!pending) {
        pending = this.init.connect(
          provider,
          AbortSignal.any([this.signal, AbortSignal.timeout(25_000)]),
          true,
        )
        pending.catch(() => {})
        this.redials.set(provider.peerId, pending)
      }
      await pending
      return await this.fetchFrom(provider, hash, size)
    }
  }

  /** Providers of the best kind first, rotated per slice so parallel fetches spread over them. */
  private order(providers: ProviderInfo[]): ProviderInfo[] {
    const light = providers.filter((p) => p.kind === 'light')
    const resource = providers.filter((p) => p.kind === 'resource')
    const rotate = (list: ProviderInfo[]) => {
      if (list.length < 2) return list
      const k = this.roundRobin++ % list.length
      return [...list.slice(k), ...list.slice(0, k)]
    }
    return [...rotate(light), ...rotate(resource)]
  }

  private async fetchFrom(provider: ProviderInfo, hash: SliceHash, size: number): Promise<Uint8Array> {
    // Dialling has its own budget (retries of stalled WebRTC dials included); the transfer is then
    // bounded: a provider slower than 250 KB/s (plus 5 s) counts as slow and is dropped.
    const dialSignal = AbortSignal.any([this.signal, AbortSignal.timeout(25_000)])
    let conn = await this.init.connect(provider, dialSignal)
    const limit = this.init.sliceTimeoutMs ?? 5000 + Math.ceil(size / 250)
    // A provider that sends nothing for 5 s (a dead connection, a stalled peer) is given up on early.
    const stall = new AbortController()
    const stallMs = this.init.stallTimeoutMs ?? STALL_TIMEOUT_MS
    let watchdog = setTimeout(() => stall.abort(new Error('Provider stalled')), stallMs)
    const signal = AbortSignal.any([this.signal, AbortSignal.timeout(limit), stall.signal])
    let stream: Awaited<ReturnType<Connection['newStream']>> | undefined
    try {
      stream = await conn.newStream(SLICE_FETCH_PROTOCOL, { signal })
    } catch {
      // A connection whose remote went away (a reload) is noticed late: redial once.
      conn = await this.init.connect(provider, dialSignal, true)
      stream = await conn.newStream(SLICE_FETCH_PROTOCOL, { signal })
    }
    const opened = stream
    const viaConnection = {
      dialProtocol: async () => opened,
    }
    try {
      const record = await fetchSlice(
        viaConnection as unknown as Pick<Libp2p, 'dialProtocol'>,
        conn.remotePeer,
        hash,
        {
          signal,
          timeout: limit,
          onProgress: () => {
            clearTimeout(watchdog)
            watchdog = setTimeout(() => stall.abort(new Error('Provider stalled')), stallMs)
          },
        },
      )
      return record.data
    } finally {
      clearTimeout(watchdog)
    }
  }
}
