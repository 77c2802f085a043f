/**
 * The light node itself, as it runs in the worker: libp2p, the IndexedDB store, uploads, downloads and
 * the slice protocols. The page reaches it through comlink (see `createLightNode`).
 */
import type { Connection, Libp2p } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import {
  AbortedError,
  asFileHash,
  CODEC_SDS,
  createManifest,
  DEFAULT_SLICE_SIZE,
  decodeManifest,
  encodeManifest,
  type FileHash,
  formatSdmUri,
  generateKeyPair,
  hashFile,
  isErrorNamed,
  type KeyPair,
  keyPairFromPrivateKey,
  type Manifest,
  parseSdmUri,
  type SlicedFile,
  type SliceHash,
  sameAddress,
  signManifest,
  sliceHashFromInnerDigest,
  verifyManifest,
} from '@stratos-edge/core'
import {
  commitStagedUpload,
  findHttpUrl,
  httpUrlToMultiaddr,
  isLibp2pAddress,
  registerSliceProtocols,
} from '@stratos-edge/protocol'
import type {
  ConnectionStat,
  LightNodeEvent,
  LightNodeOptions,
  LightNodeStat,
  PutOptions,
  PutProgress,
  PutResult,
} from '../api-types.js'
import {
  FileChangedError,
  ManifestNotFoundError,
  NodeStartError,
  nodeStopped,
  UploadFailedError,
} from '../errors.js'
import { rtcStandInStats } from '../rtc/rtc-stand-in.js'
import { createIdbSliceStore, type IdbSliceStore, type IdbSliceStoreInit } from '../store/idb-slice-store.js'
import { createLibp2pNode } from './create-libp2p-node.js'
import { cutSlices } from './cut-slices.js'
import { dialWithRetry } from './dial-with-retry.js'
import { FileReads } from './file-reads.js'
import type { NetworkIndex, ProviderInfo } from './network-index.js'
import { createNetworkIndex } from './network-index-client.js'
import { PlacedUpload } from './placed-upload.js'
import { watchResourceNodes } from './resource-link.js'
import { createSliceDigester, hashBlobForUpload } from './slice-digests.js'
import { SliceDownload } from './slice-download.js'
import { SliceStager } from './slice-stager.js'
import { forwardList } from './slice-uploader.js'
import { createStoreAdapter } from './store-adapter.js'
import { createWithdrawBatcher } from './withdraw-batcher.js'

type StartInit = Omit<LightNodeOptions, 'worker'>

/** Resource nodes that keep each upload (the meta service's default placement). */
const DEFAULT_REPLICAS = 2

function connectionKind(conn: Connection): ConnectionStat['kind'] {
  const addr = conn.remoteAddr.toString()
  if (addr.includes('/p2p-circuit')) {
    return addr.includes('/webrtc') && conn.limits === undefined ? 'webrtc' : 'relayed'
  }
  if (addr.includes('/webrtc')) return 'webrtc'
  if (addr.includes('/ws')) return 'websockets'
  return 'other'
}

/** `pending`, or the signal's reason once it is aborted first. */
function untilAborted<T>(pending: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason)
  let onAbort: () => void = () => {}
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
  })
  return Promise.race([pending, aborted]).finally(() => signal.removeEventListener('abort', onAbort))
}

/**
 * `pending`, or `fallback` when it fails (an index that is unreachable or says no); the signal's reason
 * once it is aborted, also when `pending` ignores the signal.
 */
function orElse<T, F>(pending: Promise<T>, signal: AbortSignal, fallback: F): Promise<T | F> {
  return untilAborted(pending, signal).catch(() => {
    signal.throwIfAborted()
    return fallback
  })
}

/** What a put has written so far, to undo if it fails. */
interface UnfinishedPut {
  readonly fileHash: FileHash
  /** The slices of the file's complete record from before this put, if it was stored whole. */
  readonly kept: readonly { readonly hash: SliceHash }[] | undefined
  /** Slices this put queued for storing. */
  readonly added: SliceHash[]
}

/** The worker-side node; every method is called through comlink. */
export class LightNodeService {
  private libp2p: Libp2p | undefined
  private store: IdbSliceStore | undefined
  private index: NetworkIndex | undefined
  private init: StartInit = { resourceNodes: [] }
  private emit: (event: LightNodeEvent) => void = () => {}
  private owner: KeyPair | undefined
  private readonly ops = new Map<string, AbortController>()
  private readonly reads = new FileReads()
  private readonly served = { slices: 0, bytes: 0, rejectedStreams: 0 }
  private readonly fetched = { slices: 0, bytes: 0, badProviders: 0 }
  private persisted: boolean | undefined
  private readonly directConns = new Map<string, Promise<Connection>>()
  private readonly digester = createSliceDigester()

  /** Starts libp2p and the store; resolves once a resource node is connected and the relay reserved. */
  async start(init: StartInit, onEvent?: (event: LightNodeEvent) => void): Promise<{ peerId: string }> {
    this.init = init
    if (onEvent) this.emit = (e) => void Promise.resolve(onEvent(e)).catch(() => {})
    // Slices this node stops holding (evicted, dropped, corrupt) are withdrawn from the index, batched.
    const withdrawer = createWithdrawBatcher({
      withdraw: async (hashes) => this.index?.withdraw(hashes),
      held: (hash) => store.has(hash),
    })
    const storeInit: IdbSliceStoreInit = { onSlicesRemoved: (hashes) => withdrawer.add(hashes) }
    if (init.storeName) storeInit.name = init.storeName
    if (init.budgetBytes) storeInit.budgetBytes = init.budgetBytes
    const store = await createIdbSliceStore(storeInit)
    this.store = store
    // A stable identity across reloads: peers and the index keep knowing this node.
    const {
      generateKeyPair: generateLibp2pKey,
      privateKeyFromProtobuf,
      privateKeyToProtobuf,
    } = await import('@libp2p/crypto/keys')
    const storedKey = await store.getSetting('libp2p-identity')
    const privateKey = storedKey ? privateKeyFromProtobuf(storedKey) : await generateLibp2pKey('Ed25519')
    if (!storedKey) await store.setSetting('libp2p-identity', privateKeyToProtobuf(privateKey))
    const libp2p = await createLibp2pNode({
      privateKey,
      ...(init.iceServers ? { iceServers: init.iceServers } : {}),
    })
    this.libp2p = libp2p
    await registerSliceProtocols(libp2p, {
      store: createStoreAdapter(store, { corruptServedSlices: init.faults?.corruptServedSlices === true }),
      runOnLimitedConnection: false,
      onSliceServed: (info) => {
        this.served.slices++
        this.served.bytes += info.bytes
        this.emit({
          type: 'slice:served',
          detail: { hash: info.hash, bytes: info.bytes, peerId: info.peer.toString() },
        })
      },
      onSliceStored: (slice) => void this.index?.announce([slice.hash]).catch(() => {}),
      onStreamError: () => {
        this.served.rejectedStreams++
      },
    })
    libp2p.addEventListener('connection:open', (e) => {
      const conn = e.detail
      this.emit({
        type: 'peer:connect',
        detail: { peerId: conn.remotePeer.toString(), kind: connectionKind(conn) },
      })
    })
    libp2p.addEventListener('peer:disconnect', (e) => {
      this.emit({ type: 'peer:disconnect', detail: { peerId: e.detail.toString() } })
    })
    this.owner = await this.loadOwner()
    await this.connectResourceNodes()
    this.index = createNetworkIndex(libp2p, {
      resourceNodes: init.resourceNodes,
      selfAddresses: () => this.reachableAddresses(),
      freeBytes: () => {
        const s = store.stat()
        return Math.max(0, s.budgetBytes - s.pinnedBytes - s.cachedBytes)
      },
    })
    // Slices kept from before (a reload) are served again: tell the index.
    void this.announceStored()
    // The meta service forgets a light node that disconnects (and all of them when it restarts): when a
    // resource node is back, everything held is announced again, replacing what the index had.
    watchResourceNodes(libp2p, {
      resourceNodes: init.resourceNodes,
      reachable: () => this.reachableAddresses().length > 0,
      onRestored: () =>
        void store
          .listSlices()
          .then((hashes) => this.index?.announce(hashes, { replace: true }))
          .catch(() => {}),
    })
    return { peerId: libp2p.peerId.toString() }
  }

  private async announceStored(): Promise<void> {
    try {
      const hashes = await this.slices.listSlices()
      if (hashes.length > 0) await this.index?.announce(hashes)
    } catch {
      // The index is unreachable; peers already connected can still fetch.
    }
  }

  private async loadOwner(): Promise<KeyPair> {
    const key = `stratos-edge-owner:${this.store?.name ?? ''}`
    // Workers have no localStorage; the key is kept in the slice database's files store under a reserved id.
    const stored = await this.store?.getSetting(key)
    if (stored) return keyPairFromPrivateKey(stored)
    const pair = generateKeyPair()
    await this.store?.setSetting(key, pair.privateKey)
    return pair
  }

  private async connectResourceNodes(): Promise<void> {
    const libp2p = this.node
    if (this.init.resourceNodes.length === 0) return
    const deadline = AbortSignal.timeout(this.init.readyTimeoutMs ?? 10_000)
    const relayReady = new Promise<void>((resolve) => {
      const check = () => {
        if (this.reachableAddresses().length > 0) {
          libp2p.removeEventListener('self:peer:update', check)
          resolve()
        }
      }
      libp2p.addEventListener('self:peer:update', check)
      check()
    })
    const results = await Promise.allSettled(
      this.init.resourceNodes.map((addr) =>
        dialWithRetry(libp2p, multiaddr(addr), { signal: deadline, attemptTimeoutMs: 4000 }),
      ),
    )
    if (!results.some((r) => r.status === 'fulfilled')) {
      const reason = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')?.reason
      throw new NodeStartError(
        `Could not connect to any resource node (${String(reason?.message ?? reason)})`,
        'Check the resource node addresses and that a resource node is running',
      )
    }
    await Promise.race([
      relayReady,
      new Promise((_, reject) =>
        deadline.addEventListener('abort', () =>
          reject(
            new NodeStartError(
              'No relay reservation in time',
              'Check that the resource node runs a circuit relay',
            ),
          ),
        ),
      ),
    ])
  }

  private get node(): Libp2p {
    if (!this.libp2p) throw new NodeStartError('The light node is not started', 'Call start first')
    return this.libp2p
  }

  private get slices(): IdbSliceStore {
    if (!this.store) throw new NodeStartError('The light node is not started', 'Call start first')
    return this.store
  }

  /** Addresses other browsers can dial: relayed WebRTC addresses. */
  reachableAddresses(): string[] {
    return this.node
      .getMultiaddrs()
      .map((m) => m.toString())
      .filter((a) => a.includes('/p2p-circuit') && a.includes('/webrtc'))
  }

  /** Whether this node owns, whole, a file of exactly `size` bytes (the only ones a re-upload can be). */
  private async ownsWholeFileOfSize(size: number): Promise<boolean> {
    const files = await this.slices.listFiles().catch(() => [])
    return files.some((f) => f.size === size && f.state === 'complete' && f.pinned === 1)
  }

  async put(
    input: Blob | Uint8Array,
    options: Omit<PutOptions, 'onProgress' | 'signal'>,
    opId: string,
    onProgress?: (p: PutProgress) => void,
  ): Promise<PutResult> {
    const controller = new AbortController()
    this.ops.set(opId, controller)
    const signal = controller.signal
    const store = this.slices
    const total = input instanceof Blob ? input.size : input.byteLength
    const progress = (phase: PutProgress['phase'], bytes: number) =>
      onProgress && void Promise.resolve(onProgress({ phase, bytes, totalBytes: total })).catch(() => {})
    // The file this put writes owned slices of, and the slices it held whole before (if it did).
    let written: UnfinishedPut | undefined
    try {
      // Quota exhaustion is detected before anything is written (checked while the file is hashed). A
      // re-upload of a file this node owns whole needs no new room, which only its hash can tell: a file
      // that size is hashed before the error counts; any other stops at once. Resolves the error, if any.
      const roomError = store.assertCanStore(total).then(
        () => undefined,
        async (err: unknown) => {
          if (!(await this.ownsWholeFileOfSize(total))) controller.abort()
          return err
        },
      )
      const owner = options.owner ? keyPairFromPrivateKey(options.owner) : this.owner
      if (!owner) throw new NodeStartError('No owner key', 'Start the node first')
      const sliceSize = this.init.sliceSize
      // Pass 1: the file hash (slice hashes depend on it), so pass 2 can store and push each slice at once.
      progress('hashing', 0)
      // Meanwhile the first slices already go to the home node, staged until their hashes are known.
      const home = this.init.gatewayUrl
      const copies = this.init.replicas ?? DEFAULT_REPLICAS
      const stager =
        home && input instanceof Blob && copies > 0
          ? new SliceStager(home, input, sliceSize ?? DEFAULT_SLICE_SIZE, signal)
          : undefined
      // A Blob is read once: each chunk goes into the file hash here and, on another core, into its
      // slice's digest (see slice-digests.ts). A quota failure aborts hashing; report it, not the abort.
      const hashing =
        input instanceof Blob
          ? hashBlobForUpload(input, sliceSize ?? DEFAULT_SLICE_SIZE, this.digester, signal)
          : hashFile(input, { signal }).then(({ fileHash }) => ({ fileHash, digests: undefined }))
      const { fileHash, digests: sliceDigests } = await hashing.catch(async (err: unknown) => {
        await stager?.stop()
        throw (await roomError) ?? err
      })
      // A file already stored whole keeps its complete record (and manifest) while it is uploaded again:
      // a `writing` record would have its owned slices discarded at the next open if this put fails.
      const previous = await store.getFile(fileHash)
      // (Only this node's own file: a complete record of a file it downloaded is a cache, and is replaced.)
      const own = previous?.state === 'complete' && previous.pinned === 1
      const noRoom = await roomError
      if (noRoom && !own) {
        await stager?.stop()
        throw noRoom
      }
      written = { fileHash, kept: own ? previous.slices : undefined, added: [] }
      // At once: what the home node holds, where the file goes, and the file's record (slices of a file
      // still `writing` are discarded after a crash).
      const [staged, placement] = await Promise.all([
        // Without the slice digests the staged slices cannot be committed; they expire on the node.
        stager?.stop().then((s) => (sliceDigests ? s : undefined)),
        this.placement(fileHash, total),
        written.kept
          ? undefined
          : store.putFile({
              fileHash,
              size: total,
              sliceSize: sliceSize ?? 0,
              slices: [],
              state: 'writing',
              pinned: 1,
              updatedAt: Date.now(),
            }),
      ])
      // One upload per file: the first node stores each slice and copies it on to the others. With a
      // staged upload the first node is the home node that holds the staged slices.
      const targets = staged
        ? this.withHomeFirst(placement, staged.peerId, home as string, copies)
        : placement
      const upload = new PlacedUpload(this.node, targets, signal)
      const commit =
        staged && sliceDigests && targets[0]
          ? commitStagedUpload(
              home as string,
              staged.uploadId,
              {
                fileHash,
                slices: staged.numbers.map((number) => ({
                  number,
                  hash: sliceHashFromInnerDigest(sliceDigests[number - 1] as Uint8Array, fileHash),
                })),
                forward: forwardList(targets.slice(1)),
              },
              { signal },
            ).catch(() => undefined)
          : undefined
      const committing = new Set(staged?.numbers)
      const layout: { number: number; size: number; hash: SliceHash }[] = []
      const gen = cutSlices(input, fileHash, {
        signal,
        ...(sliceSize ? { sliceSize } : {}),
        ...(sliceDigests ? { digests: sliceDigests } : {}),
      })
      let stored = 0
      let size = 0
      for (;;) {
        const step = await gen.next()
        if (step.done) {
          size = step.value
          break
        }
        const piece = step.value
        const hash = piece.hash
        layout.push({ number: piece.number, size: piece.size, hash })
        written.added.push(hash)
        await store.put({ hash, fileHash, number: piece.number, data: piece.data, pinned: true })
        // Backpressure: waits while UPLOADS_IN_FLIGHT slices are unacknowledged (bounded memory).
        if (targets.length > 0 && !committing.has(piece.number))
          await upload.send({ hash, fileHash, number: piece.number, data: piece.data })
        stored += piece.size
        progress('storing', stored)
      }
      if (size !== total) {
        throw new FileChangedError(
          `The file changed while it was being uploaded (${total} bytes, then ${size})`,
          'Upload it again once it is no longer being written',
        )
      }
      const sliced: SlicedFile = {
        fileHash,
        size,
        sliceSize: sliceSize ?? DEFAULT_SLICE_SIZE,
        codec: CODEC_SDS,
        slices: layout.map((l) => ({ ...l, offset: (l.number - 1) * (sliceSize ?? DEFAULT_SLICE_SIZE) })),
      }
      await store.flush()
      progress('pushing', stored)
      // The signed manifest and the file's layout do not depend on the upload: done while it finishes.
      const encoded = encodeManifest(
        signManifest(
          createManifest({
            sliced,
            owner: owner.address,
            ...(options.name ? { name: options.name } : {}),
            ...(options.mimeType ? { mimeType: options.mimeType } : {}),
          }),
          owner.privateKey,
        ),
      )
      const recorded = written.kept
        ? Promise.resolve()
        : store.putFile({
            fileHash,
            size: total,
            sliceSize: sliced.sliceSize,
            slices: layout,
            state: 'writing',
            pinned: 1,
            updatedAt: Date.now(),
          })
      recorded.catch(() => {})
      // Staged slices the home node stored count as sent there; the rest are sent again below.
      const committed = await commit
      if (committed && targets[0]) upload.markAcked(targets[0].peerId, committed.stored)
      const byNumber = new Map(layout.map((l) => [l.number, l.hash]))
      const uploaded = await upload.finish(
        layout.map((l) => l.number),
        // A resend after a failover reads the slice back from the local store (verified on read).
        async (number) => {
          const hash = byNumber.get(number) as SliceHash
          return { hash, fileHash, number, data: await store.get(hash) }
        },
      )
      await recorded
      // The outcome first: an aborted or failed upload publishes nothing (and its slices are dropped).
      if (signal.aborted) throw new AbortedError('Upload aborted', 'Start it again', { cause: signal.reason })
      const { replicas, forwardedTo } = uploaded
      if (targets.length > 0 && replicas.length === 0) {
        const reason =
          uploaded.error === undefined
            ? ''
            : ` (${String((uploaded.error as Error)?.message ?? uploaded.error)})`
        throw new UploadFailedError(
          `No resource node stored the file${reason}`,
          'Check that a resource node is reachable and upload again',
          { cause: uploaded.error },
        )
      }
      await store.completeFile(fileHash, encoded)
      const index = this.index
      if (index) {
        await Promise.all([
          index.putManifest(encoded).catch(() => {}),
          index.announce(layout.map((s) => s.hash)).catch(() => {}),
        ])
      }
      progress('done', stored)
      const gatewayBase = placement.find((p) => replicas.includes(p.peerId))
      const uri = formatSdmUri(owner.address, fileHash)
      return {
        fileHash,
        uri,
        owner: owner.address,
        size: total,
        slices: layout.length,
        replicas,
        forwardedTo,
        ...(gatewayBase ? { gatewayUrl: this.gatewayUrlOf(gatewayBase, uri) } : {}),
      }
    } catch (err) {
      // Owned slices are never evicted: those of an upload that did not finish would fill the budget for
      // good. Sends still on their way stop first (they read slices back from the store).
      controller.abort(err)
      if (written) await this.dropUnfinished(store, written).catch(() => {})
      throw err
    } finally {
      this.ops.delete(opId)
      // Whatever is still on its way (uploads after a failure, a staged send) stops with the call.
      controller.abort(new Error('put finished'))
    }
  }

  /**
   * Removes the owned slices a failed put added: the whole file when it was not stored complete before,
   * else only slices its complete record does not list (a different slice size).
   */
  private async dropUnfinished(store: IdbSliceStore, written: UnfinishedPut): Promise<void> {
    if (!written.kept) {
      await store.dropFile(written.fileHash, { includePinned: true })
      return
    }
    // Queued writes land first, or a slice deleted now would be written after.
    await store.flush().catch(() => {})
    const kept = new Set(written.kept.map((s) => s.hash))
    for (const hash of written.added) if (!kept.has(hash)) await store.delete(hash)
  }

  /**
   * The upload targets when slices were staged on the home node: the home node first (it holds them),
   * then the placed nodes that are not it.
   */
  private withHomeFirst(
    placement: ProviderInfo[],
    homePeerId: string,
    homeUrl: string,
    replicas: number,
  ): ProviderInfo[] {
    const placed = placement.find((p) => p.peerId === homePeerId)
    const homeInfo: ProviderInfo = {
      peerId: homePeerId,
      kind: 'resource',
      multiaddrs: [httpUrlToMultiaddr(homeUrl), ...(placed?.multiaddrs.filter(isLibp2pAddress) ?? [])],
    }
    return [homeInfo, ...placement.filter((p) => p.peerId !== homePeerId)].slice(0, Math.max(1, replicas))
  }

  /** The file's URL on a replica's own gateway (announced with its addresses), else the configured one. */
  private gatewayUrlOf(provider: ProviderInfo, uri: string): string | undefined {
    // By URI, not by bare file hash: the owner vouches for the file, so the gateway need not read all of
    // it to check it before serving a range (a video player's first request).
    const base = findHttpUrl(provider.multiaddrs) ?? this.init.gatewayUrl
    return base ? `${base.replace(/\/$/, '')}/files/${uri}` : undefined
  }

  private async placement(fileHash: string, size: number): Promise<ProviderInfo[]> {
    const replicas = this.init.replicas ?? DEFAULT_REPLICAS
    if (replicas <= 0) return []
    try {
      const placed = await this.index?.place(fileHash, size, replicas)
      if (placed && placed.length > 0) return placed
    } catch {
      // Fall back to the configured resource nodes.
    }
    return this.init.resourceNodes.slice(0, replicas).map((a) => {
      const m = multiaddr(a)
      return {
        peerId: m.getComponents().findLast((c) => c.name === 'p2p')?.value ?? '',
        multiaddrs: [a],
        kind: 'resource' as const,
      }
    })
  }

  /**
   * Resolves a file hash or `sdm://` URI to its manifest: the file's record here first, then the index.
   * A URI takes only the manifest its owner signed; a bare file hash takes the manifest the meta service
   * chose for it (resolved once, on the server). Every slice is still checked against its hash before use.
   */
  private async resolveManifest(ref: string, signal: AbortSignal): Promise<Manifest> {
    const uri = ref.startsWith('sdm://') ? parseSdmUri(ref) : undefined
    const fileHash: FileHash = uri ? uri.fileHash : asFileHash(ref)
    const wanted = (m: Manifest) => !uri || sameAddress(m.owner, uri.owner)
    const local = await this.slices.getFile(fileHash)
    if (local?.manifest) {
      const manifest = decodeManifest(local.manifest)
      if (wanted(manifest)) return manifest
    }
    // The signal goes to the index, and the wait stops on it even if an index ignores it.
    const bytes = this.index
      ? await orElse(this.index.getManifest(fileHash, uri?.owner, signal), signal, undefined)
      : undefined
    if (!bytes) {
      throw new ManifestNotFoundError(
        `No manifest for ${ref}`,
        'Check the file hash, or that the meta service is reachable',
      )
    }
    const manifest = decodeManifest(bytes)
    verifyManifest(manifest)
    if (manifest.fileHash !== fileHash || !wanted(manifest)) {
      throw new ManifestNotFoundError(
        `The index answered with a manifest of ${manifest.fileHash} by ${manifest.owner}`,
        'Ask another index',
      )
    }
    signal.throwIfAborted()
    // The layout is kept for reading the file again; a record this node has (its own upload, or another
    // owner's read by its URI) stays.
    if (!local) {
      await this.slices.putFile({
        fileHash,
        size: manifest.size,
        sliceSize: manifest.sliceSize,
        slices: manifest.slices.map((s) => ({ number: s.number, size: s.size, hash: s.hash })),
        state: 'complete',
        pinned: 0,
        manifest: bytes,
        updatedAt: Date.now(),
      })
    }
    return manifest
  }

  /** Opens a download; chunks are then pulled with {@link LightNodeService.readChunk}. */
  async openRead(ref: string, opId: string): Promise<void> {
    // Registered first, so an abort that arrives while the manifest is looked up still stops the read.
    const controller = new AbortController()
    this.ops.set(opId, controller)
    let manifest: Manifest
    try {
      manifest = await this.resolveManifest(ref, controller.signal)
    } catch (err) {
      throw controller.signal.aborted ? controller.signal.reason : err
    } finally {
      this.ops.delete(opId) // from here on the read is aborted through this.reads
    }
    controller.signal.throwIfAborted()
    const download = new SliceDownload({
      manifest,
      store: this.slices,
      signal: controller.signal,
      parallelism: this.init.parallelism ?? 4,
      providers: (hashes, signal) => this.providersFor(hashes, signal),
      connect: (p, signal, fresh) => this.connectionTo(p, signal, fresh),
      libp2p: this.node,
      onFetched: (hash, bytes, peerId) => {
        this.fetched.slices++
        this.fetched.bytes += bytes
        this.emit({ type: 'slice:fetched', detail: { hash, bytes, peerId } })
      },
      onDropped: (peerId, reason) => {
        this.fetched.badProviders++
        this.emit({ type: 'provider:dropped', detail: { peerId, reason } })
      },
      onComplete: (hashes) => void this.index?.announce(hashes).catch(() => {}),
    })
    this.reads.add(opId, download)
    download.start()
  }

  /** The next chunk of an open download (a copy, transferred), or undefined at the end. */
  async readChunk(opId: string): Promise<Uint8Array | undefined> {
    return this.reads.chunk(opId)
  }

  /**
   * Fills `length` bytes at `offset` of the page's `buffer` (a BYOB read) with the download's next bytes
   * and transfers the buffer back; `filled` is 0 at the end.
   */
  async readInto(
    opId: string,
    buffer: ArrayBuffer,
    offset: number,
    length: number,
  ): Promise<{ buffer: ArrayBuffer; filled: number }> {
    return this.reads.fill(opId, buffer, offset, length)
  }

  /** Providers per slice: browsers first, then resource nodes, then whoever is connected. */
  private async providersFor(
    hashes: readonly string[],
    signal: AbortSignal,
  ): Promise<Map<string, ProviderInfo[]>> {
    // The lookup takes no signal and may wait 10 s per resource node: a cancelled download stops waiting.
    let found = this.index ? await orElse(this.index.lookup(hashes), signal, undefined) : undefined
    // Without an answer (the meta service is unreachable): connected peers below.
    found ??= new Map<string, ProviderInfo[]>()
    const self = this.node.peerId.toString()
    const connected: ProviderInfo[] = []
    const seen = new Set<string>()
    for (const conn of this.node.getConnections()) {
      const id = conn.remotePeer.toString()
      if (seen.has(id) || conn.status !== 'open') continue
      seen.add(id)
      const kind = connectionKind(conn)
      connected.push({
        peerId: id,
        multiaddrs: [conn.remoteAddr.toString()],
        kind: kind === 'websockets' ? 'resource' : 'light',
      })
    }
    const result = new Map<string, ProviderInfo[]>()
    for (const hash of hashes) {
      const list = (found.get(hash) ?? []).filter((p) => p.peerId !== self)
      const ids = new Set(list.map((p) => p.peerId))
      for (const c of connected) if (!ids.has(c.peerId) && c.kind === 'light') list.push(c)
      for (const c of connected) if (!ids.has(c.peerId) && c.kind === 'resource') list.push(c)
      list.sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'light' ? -1 : 1))
      result.set(hash, list)
    }
    return result
  }

  /** A connection suitable for slice traffic: direct WebRTC for browsers, WebSockets for resource nodes. */
  private async connectionTo(
    provider: ProviderInfo,
    signal: AbortSignal,
    fresh = false,
  ): Promise<Connection> {
    if (fresh) {
      for (const c of this.node.getConnections()) {
        if (c.remotePeer.toString() === provider.peerId && c.limits === undefined)
          c.abort(new Error('Stale connection'))
      }
    }
    const existing = this.node
      .getConnections()
      .find(
        (c) =>
          c.remotePeer.toString() === provider.peerId &&
          c.status === 'open' &&
          c.limits === undefined &&
          (provider.kind === 'resource' || connectionKind(c) === 'webrtc'),
      )
    if (existing) return existing
    let pending = this.directConns.get(provider.peerId)
    if (!pending) {
      const addrs =
        provider.kind === 'light'
          ? provider.multiaddrs.filter((a) => a.includes('/webrtc')).map((a) => multiaddr(a))
          : provider.multiaddrs.filter(isLibp2pAddress).map((a) => multiaddr(a))
      pending = dialWithRetry(this.node, addrs, { signal, attempts: 4, attemptTimeoutMs: 5000 })
      this.directConns.set(provider.peerId, pending)
      pending.then(
        () => this.directConns.delete(provider.peerId),
        () => this.directConns.delete(provider.peerId),
      )
    }
    return pending
  }

  async abort(opId: string): Promise<void> {
    this.ops.get(opId)?.abort(new AbortedError('Aborted by the caller', 'Start it again'))
    this.ops.delete(opId)
    this.reads.abort(opId)
  }

  async stat(): Promise<LightNodeStat> {
    const libp2p = this.node
    const standIn = rtcStandInStats()
    return {
      peerId: libp2p.peerId.toString(),
      multiaddrs: libp2p.getMultiaddrs().map((m) => m.toString()),
      connections: libp2p.getConnections().map((c) => ({
        peerId: c.remotePeer.toString(),
        remoteAddr: c.remoteAddr.toString(),
        kind: connectionKind(c),
        limited: c.limits !== undefined,
      })),
      store: this.slices.stat(),
      served: { ...this.served },
      fetched: { ...this.fetched },
      persisted: this.persisted,
      runtime: {
        inWorker:
          typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== 'undefined' &&
          typeof (globalThis as { document?: unknown }).document === 'undefined',
        hasRealRtc:
          typeof globalThis.RTCPeerConnection === 'function' &&
          (globalThis.RTCPeerConnection as unknown as { stratosEdgeStandIn?: boolean }).stratosEdgeStandIn !==
            true,
        standInPeerConnections: standIn.peerConnections,
      },
    }
  }

  async contribute({ bytes }: { bytes: number }): Promise<{ budgetBytes: number; persisted: boolean }> {
    const storage = (globalThis.navigator as Navigator | undefined)?.storage
    this.persisted = storage?.persist ? await storage.persist().catch(() => false) : false
    this.slices.budgetBytes = Math.max(bytes, this.slices.stat().pinnedBytes)
    return { budgetBytes: this.slices.budgetBytes, persisted: this.persisted }
  }

  async drop(fileHash: string, options: { includeOwned?: boolean } = {}): Promise<void> {
    await this.slices.dropFile(fileHash, { includePinned: options.includeOwned === true, keepRecord: true })
  }

  async stop(): Promise<void> {
    for (const c of this.ops.values()) c.abort(nodeStopped())
    this.ops.clear()
    this.reads.stop()
    this.digester.close()
    await Promise.resolve(this.libp2p?.stop()).catch(() => {})
    await this.store?.close().catch(() => {})
  }
}

/** Creates the worker-side service (one per worker). */
export function createLightNodeService(): LightNodeService {
  return new LightNodeService()
}

export { isErrorNamed }
