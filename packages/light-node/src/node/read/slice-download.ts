import type { Connection } from '@libp2p/interface'
import { AbortedError, isErrorNamed, type SliceHash } from '@stratos-edge/core'
import { NoProviderError } from '../../errors.js'
import type { ProviderInfo } from '../network-index.js'
import { untilAborted } from '../until-aborted.js'
import { fetchFromProvider } from './provider-fetch.js'
import { retryRateLimited } from './rate-limited-retry.js'
import type { SliceDownloadInit } from './slice-download-init.js'

export type { SliceDownloadInit } from './slice-download-init.js'

/** Default of `SliceDownloadInit.hedgeDelayMs`. */
const HEDGE_DELAY_MS = 2500

/** A slot's slice: a promise and its settlers (the reader awaits it, a fetch settles it). */
function deferred() {
  let resolve!: (v: Uint8Array) => void
  let reject!: (e: unknown) => void
  const promise = new Promise<Uint8Array>((a, b) => {
    resolve = a
    reject = b
  })
  promise.catch(() => {})
  return { promise, resolve, reject }
}

type Deferred = ReturnType<typeof deferred>

/**
 * Downloads a file's slices in parallel from several providers (browsers over direct WebRTC first,
 * resource nodes after), verifies each, caches it in the store (best-effort) and yields the bytes in order.
 * A browser that has not connected within `hedgeDelayMs` is raced against a resource node, so a failing
 * WebRTC dial never stalls the download.
 * A provider that sends a bad slice or is too slow is dropped for the rest of the download and the slice
 * is fetched elsewhere. Memory is bounded: at most `2 × parallelism` slices ahead of the reader.
 */
export class SliceDownload {
  /** One per slice; emptied once the reader took it, so its bytes are not kept to the end. */
  private readonly slots: (Deferred | undefined)[]
  private nextToFetch = 0
  private nextToRead = 0
  private readonly bad = new Set<string>()
  /** Browsers that lost a race while dialling, left out until their dial ends (see keepDialling). */
  private readonly dialling = new Set<string>()
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
        const data = await store.get(slice.hash)
        this.init.onLocal?.(slice.hash, data.byteLength)
        return data
      } catch {
        // Corrupt locally: deleted by the store; fetch it below.
      }
    }
    this.providerMap ??= this.init.providers(
      this.init.manifest.slices.map((s) => s.hash),
      this.signal,
    )
    const candidates = this.order((await this.providerMap).get(slice.hash) ?? [])
    const errors: string[] = []
    const tried = new Set<string>()
    const next = (kind?: ProviderInfo['kind']) => {
      const found = candidates.find(
        (p) =>
          !tried.has(p.peerId) &&
          !this.bad.has(p.peerId) &&
          !this.dialling.has(p.peerId) &&
          (kind === undefined || p.kind === kind),
      )
      if (found) tried.add(found.peerId)
      return found
    }
    for (let provider = next(); provider; provider = next()) {
      this.signal.throwIfAborted()
      const got = await this.hedged(provider, () => next('resource'), slice, errors)
      if (!got) continue
      // Outside the provider's attempt: a full store is no fault of the provider.
      await this.cache(slice, got.data)
      this.init.onFetched?.(slice.hash, got.data.byteLength, got.provider)
      return got.data
    }
    throw new NoProviderError(
      `No provider delivered slice ${slice.number} (${slice.hash}): ${errors.join('; ') || 'no providers known'}`,
      'Try again later, or check that a resource node holds the file',
    )
  }

  /**
   * Fetches a slice from `primary`. A browser that has not connected within the hedge delay is raced
   * against a resource node (`backup()`); the first to deliver wins and the other is called off. A
   * browser still dialling when it lost is left out until its dial ends (see keepDialling).
   * Undefined when neither delivered (their errors are in `errors`).
   */
  private hedged(
    primary: ProviderInfo,
    backup: () => ProviderInfo | undefined,
    slice: { hash: string; size: number },
    errors: string[],
  ): Promise<{ data: Uint8Array; provider: ProviderInfo } | undefined> {
    const primaryOff = new AbortController()
    let connected = false
    const first = this.attempt(primary, slice, primaryOff.signal, errors, () => {
      connected = true
    })
    if (primary.kind !== 'light') return first.then((data) => data && { data, provider: primary })
    return new Promise((resolve, reject) => {
      let settled = false
      let running = 1
      let second: ProviderInfo | undefined
      const secondOff = new AbortController()
      const end = () => {
        settled = true
        clearTimeout(timer)
      }
      const win = (data: Uint8Array, provider: ProviderInfo) => {
        if (settled) return
        end()
        // Before the loser is called off, so a browser's dial is still held (see keepDialling).
        if (provider !== primary && !connected) this.keepDialling(primary)
        const loser = provider === primary ? secondOff : primaryOff
        loser.abort(new Error('Another provider delivered the slice first'))
        resolve({ data, provider })
      }
      const lose = () => {
        running--
        if (running === 0 && !settled) {
          end()
          resolve(undefined)
        }
      }
      const fail = (err: unknown) => {
        if (settled) return
        end()
        primaryOff.abort(err)
        secondOff.abort(err)
        reject(err)
      }
      const startBackup = () => {
        if (settled || second) return
        second = backup()
        if (!second) return
        const s = second
        running++
        this.attempt(s, slice, secondOff.signal, errors).then((d) => (d ? win(d, s) : lose()), fail)
      }
      const timer = setTimeout(() => {
        if (!connected) startBackup()
      }, this.init.hedgeDelayMs ?? HEDGE_DELAY_MS)
      first.then((d) => {
        if (d) return win(d, primary)
        startBackup()
        lose()
      }, fail)
    })
  }

  /**
   * A browser that lost a race while still dialling is left out of this download until its dial ends;
   * the dial goes on, held by the download, within its own budget: a browser that connects late serves
   * the next slices, one whose dial fails is dropped (and the provider choice remembers it as unreachable).
   */
  private keepDialling(provider: ProviderInfo): void {
    const id = provider.peerId
    if (this.dialling.has(id) || this.bad.has(id)) return
    this.dialling.add(id)
    this.init.connect(provider, this.signal).then(
      () => this.dialling.delete(id),
      () => {
        this.dialling.delete(id)
        if (!this.signal.aborted) this.bad.add(id)
      },
    )
  }

  /**
   * One provider's try at a slice: its bytes, or undefined after noting why not (and dropping the
   * provider for the rest of the download, unless it only lacks the slice or was called off by `off`).
   * Rejects only when the download itself is aborted.
   */
  private async attempt(
    provider: ProviderInfo,
    slice: { hash: string; size: number },
    off: AbortSignal,
    errors: string[],
    onConnected?: () => void,
  ): Promise<Uint8Array | undefined> {
    const signal = AbortSignal.any([this.signal, off])
    try {
      return await this.fetchWithRedial(provider, slice.hash as SliceHash, slice.size, signal, onConnected)
    } catch (err) {
      if (this.signal.aborted) throw err
      if (off.aborted) return undefined
      const name = (err as Error)?.name ?? 'Error'
      errors.push(`${provider.peerId}: ${name}`)
      if (isErrorNamed(err, 'SliceNotFoundError')) return undefined
      // A wrong hash, a timeout or a broken connection: drop this provider for the rest of the download.
      this.bad.add(provider.peerId)
      this.init.onDropped?.(provider.peerId, `${name}: ${(err as Error)?.message ?? ''}`)
      return undefined
    }
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
  private async fetchWithRedial(
    provider: ProviderInfo,
    hash: SliceHash,
    size: number,
    signal: AbortSignal,
    onConnected?: () => void,
  ): Promise<Uint8Array> {
    const redial = this.redials.get(provider.peerId)
    const used: { conn?: Connection } = {}
    try {
      const run = () => this.fetchFrom(provider, hash, size, signal, onConnected, used)
      return await retryRateLimited(run, signal) // a node's rate limit is waited out, not a failure
    } catch (err) {
      if (signal.aborted) throw err
      if (isErrorNamed(err, 'ReceiptsOverdueError') && this.init.onReceiptsOverdue) {
        // The provider wants a receipt for what it served before it serves more: sign, send, ask again.
        // It also counts slices on their way to this download's other fetches, so a second refusal is
        // signed for once more (those slices are verified by then); three rounds at most.
        for (let round = 1; ; round++) {
          await this.init.onReceiptsOverdue(provider, signal)
          try {
            return await this.fetchFrom(provider, hash, size, signal)
          } catch (again) {
            if (round >= 3 || signal.aborted || !isErrorNamed(again, 'ReceiptsOverdueError')) throw again
          }
        }
      }
      if (isErrorNamed(err, 'SliceHashMismatchError') || isErrorNamed(err, 'SliceNotFoundError')) throw err
      // One redial per provider and download, shared by the fetches that failed on the old connection.
      let pending = this.redials.get(provider.peerId)
      if (pending && pending === redial) throw err
      if (!pending) {
        // Only the connection this fetch used is closed (not, say, the one carrying a relay reservation).
        pending = this.init.connect(
          provider,
          AbortSignal.any([this.signal, AbortSignal.timeout(25_000)]),
          used.conn,
        )
        pending.catch(() => {})
        this.redials.set(provider.peerId, pending)
      }
      // Shared by the download's fetches: made on the download's signal, waited for on this attempt's.
      await untilAborted(pending, signal)
      return await this.fetchFrom(provider, hash, size, signal)
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

  private fetchFrom(
    provider: ProviderInfo,
    hash: SliceHash,
    size: number,
    attemptSignal: AbortSignal,
    onConnected?: () => void,
    used: { conn?: Connection } = {},
  ): Promise<Uint8Array> {
    return fetchFromProvider(this.init, { provider, hash, size, signal: attemptSignal, onConnected, used })
  }
}
