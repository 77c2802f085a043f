/**
 * The light node as it runs in the worker, and the surface the page reaches through comlink (see
 * `createLightNode`): a facade over the runtime (libp2p, store, index, keys), uploads, downloads and
 * the provider choice, each built by its own factory.
 */
import { AbortedError } from '@stratos-edge/core'
import type {
  BindOwnerResult,
  ClaimResult,
  DownloadProgress,
  LightNodeEvent,
  LightNodeStat,
  OwnedFile,
  PutProgress,
  PutRequest,
  PutResult,
  RewardClaimCall,
  TrafficSummary,
  WithdrawResult,
} from '../api-types.js'
import { NodeStartError, nodeStopped } from '../errors.js'
import { FileReads } from './file-reads.js'
import { createNodeParts, type NodeParts } from './node-parts.js'
import { readNodeStat } from './node-stat.js'
import { type PageSigner, withPageSigner } from './page-signer.js'
import type { ProvidersInit } from './providers.js'
import { type Runtime, type RuntimeComponents, type RuntimeInit, startRuntime } from './runtime.js'
import { createSliceDigester } from './slice-digests.js'

/** Edges of {@link LightNodeService}. */
export interface LightNodeServiceComponents {
  /** Starts the store, libp2p and the index; default {@link startRuntime}. Tests hand in their own. */
  startRuntime?(init: RuntimeInit, components: RuntimeComponents): Promise<Runtime>
  /** Options of the provider choice (timings of dials and of remembering unreachable browsers). */
  providers?: ProvidersInit
  /** See `SliceDownloadInit.hedgeDelayMs`. */
  hedgeDelayMs?: number
}

/** The worker-side node; every method is called through comlink. */
export class LightNodeService {
  private parts: NodeParts | undefined
  private emit: (event: LightNodeEvent) => void = () => {}
  private readonly ops = new Map<string, AbortController>()
  private readonly reads = new FileReads()
  private readonly fetched = { slices: 0, bytes: 0, badProviders: 0 }
  private persisted: boolean | undefined
  private readonly digester = createSliceDigester()

  constructor(private readonly components: LightNodeServiceComponents = {}) {}

  /** Starts libp2p and the store; resolves once a resource node is connected and the relay reserved. */
  async start(init: RuntimeInit, onEvent?: (event: LightNodeEvent) => void): Promise<{ peerId: string }> {
    if (onEvent) this.emit = (e) => void Promise.resolve(onEvent(e)).catch(() => {})
    const runtime = await (this.components.startRuntime ?? startRuntime)(init, { emit: (e) => this.emit(e) })
    const { providers, hedgeDelayMs } = this.components
    this.parts = createNodeParts(
      { ...init, providers, hedgeDelayMs },
      { runtime, digester: this.digester, fetched: this.fetched, emit: (e) => this.emit(e) },
    )
    return { peerId: runtime.peerId }
  }

  private get started() {
    if (!this.parts) throw new NodeStartError('The light node is not started', 'Call start first')
    return this.parts
  }

  /** Addresses other browsers can dial: relayed WebRTC addresses. */
  reachableAddresses(): string[] {
    return this.started.runtime.reachableAddresses()
  }

  /**
   * Uploads a file; aborted with {@link LightNodeService.abort} under `opId`. `signer` (the page's wallet,
   * a comlink proxy) signs for the owner; without it the node's own key does.
   */
  async put(
    input: Blob | Uint8Array,
    options: PutRequest,
    opId: string,
    onProgress?: (p: PutProgress) => void,
    signer?: PageSigner,
  ): Promise<PutResult> {
    const { uploader } = this.started
    const controller = new AbortController()
    this.ops.set(opId, controller)
    try {
      return await withPageSigner(signer, async (owner) => {
        const result = await uploader.put(input, { ...options, signer: owner }, controller.signal, onProgress)
        // The uploading wallet owns this node too: bound once per wallet, never failing the upload.
        if (owner) await this.started.ownerBinding.bindAfterUpload(owner, controller.signal)
        return result
      })
    } finally {
      this.ops.delete(opId)
    }
  }

  /**
   * Opens a download; chunks are then pulled with {@link LightNodeService.readChunk}. `onProgress` hears
   * this download's progress only.
   */
  async openRead(ref: string, opId: string, onProgress?: (p: DownloadProgress) => void): Promise<void> {
    const { downloads } = this.started
    // Registered first, so an abort that arrives while the manifest is looked up still stops the read.
    const controller = new AbortController()
    this.ops.set(opId, controller)
    try {
      const download = await downloads.open(ref, controller.signal, onProgress)
      this.reads.add(opId, download) // from here on the read is aborted through this.reads
    } catch (err) {
      throw controller.signal.aborted ? controller.signal.reason : err
    } finally {
      this.ops.delete(opId)
    }
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

  async abort(opId: string): Promise<void> {
    this.ops.get(opId)?.abort(new AbortedError('Aborted by the caller', 'Start it again'))
    this.ops.delete(opId)
    this.reads.abort(opId)
  }

  async stat(): Promise<LightNodeStat> {
    return readNodeStat(this.started.runtime, { fetched: this.fetched, persisted: this.persisted })
  }

  async contribute({ bytes }: { bytes: number }): Promise<{ budgetBytes: number; persisted: boolean }> {
    const { store } = this.started.runtime
    const storage = (globalThis.navigator as Navigator | undefined)?.storage
    this.persisted = storage?.persist ? await storage.persist().catch(() => false) : false
    // Kept in the store: the budget outlives a reload.
    return { budgetBytes: await store.setBudget(bytes), persisted: this.persisted }
  }

  async drop(fileHash: string, options: { includeOwned?: boolean } = {}): Promise<void> {
    const { store } = this.started.runtime
    await store.dropFile(fileHash, { includePinned: options.includeOwned === true, keepRecord: true })
  }

  /** The files this node uploaded (owned by its key or a page wallet), newest first. */
  async files(): Promise<OwnedFile[]> {
    return this.started.files()
  }

  /**
   * Withdraws an owned file from the network (see withdraw-file.ts). `signer` (the page's wallet, a
   * comlink proxy) signs the delete for a wallet-owned file; without it the node's own key does.
   */
  async withdraw(fileHash: string, signer?: PageSigner): Promise<WithdrawResult> {
    const { withdraw } = this.started
    return withPageSigner(signer, (owner) => withdraw(fileHash, owner))
  }

  /** Proof of Traffic: bytes served per epoch, receipts held, rewards pending, claimable and claimed. */
  async traffic(): Promise<TrafficSummary> {
    return this.started.traffic.summary()
  }

  /** The claims this node can send now, with their proofs and call data (for a page wallet to send). */
  async claimPlan(): Promise<RewardClaimCall[]> {
    return this.started.traffic.claimPlan()
  }

  /**
   * Binds this node's key to the page's wallet (`signer`, a comlink proxy) with the meta service, so
   * receipts between this node and the wallet's other nodes (or the wallet itself) are refused as
   * self-dealing. A wallet bound before is not asked again.
   */
  async bindOwner(signer: PageSigner): Promise<BindOwnerResult> {
    const { ownerBinding } = this.started
    return withPageSigner(signer, (owner) => ownerBinding.bind(owner as NonNullable<typeof owner>))
  }

  /** Claims every claimable epoch from the node key over `polygonRpc` (the node key pays the gas). */
  async claimWithNodeKey(): Promise<ClaimResult> {
    return this.started.traffic.claimWithNodeKey()
  }

  async stop(): Promise<void> {
    this.parts?.traffic.stop()
    for (const c of this.ops.values()) c.abort(nodeStopped())
    this.ops.clear()
    this.reads.stop()
    this.digester.close()
    await this.parts?.runtime.stop()
  }
}

/** Creates the worker-side service (one per worker). */
export function createLightNodeService(components: LightNodeServiceComponents = {}): LightNodeService {
  return new LightNodeService(components)
}
