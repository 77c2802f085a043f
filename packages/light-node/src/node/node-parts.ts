/**
 * The light node's parts over a started runtime: the provider choice, Proof of Traffic, uploads and
 * downloads, each built by its own factory and wired to the node's events. The service is a facade over
 * these (see light-node-service.ts).
 */
import type { TypedDataSigner } from '@stratos-edge/core'
import type { LightNodeEvent, LightNodeStat, OwnedFile, WithdrawResult } from '../api-types.js'
import { listOwnedFiles } from './owned-files.js'
import { createProviders, type Providers, type ProvidersInit } from './providers.js'
import { createNodeDownloads } from './read/node-downloads.js'
import type { Downloads } from './read/open-download.js'
import type { Runtime, RuntimeInit } from './runtime.js'
import type { SliceDigester } from './slice-digests.js'
import { createNodeTraffic, type NodeTraffic } from './traffic/node-traffic.js'
import { createOwnerBinding, type OwnerBinding } from './traffic/owner-binding.js'
import { createUploader, type Uploader } from './upload/put-file.js'
import { withdrawFile } from './withdraw-file.js'

/** The started node's parts. */
export interface NodeParts {
  runtime: Runtime
  uploader: Uploader
  downloads: Downloads
  providers: Providers
  traffic: NodeTraffic
  /** Binds this node's key to its owners' wallets (the self-dealing rule; see owner-binding.ts). */
  ownerBinding: OwnerBinding
  /** The files this node uploaded, newest first (see owned-files.ts). */
  files(): Promise<OwnedFile[]>
  /** Withdraws an owned file, the delete signed by `signer` or the node's own key (see withdraw-file.ts). */
  withdraw(fileHash: string, signer: TypedDataSigner | undefined): Promise<WithdrawResult>
}

/** Options of {@link createNodeParts} beside the node's own: timings tests shorten. */
export interface NodePartsInit extends RuntimeInit {
  /** Options of the provider choice (timings of dials and of remembering unreachable browsers). */
  providers?: ProvidersInit | undefined
  /** See `SliceDownloadInit.hedgeDelayMs`. */
  hedgeDelayMs?: number | undefined
}

/** Edges of {@link createNodeParts}. */
export interface NodePartsComponents {
  runtime: Runtime
  /** Hashes slices on another core while an upload hashes the file (kept for the worker's life). */
  digester: SliceDigester
  /** Counted in place for `stat()`. */
  fetched: { -readonly [K in keyof LightNodeStat['fetched']]: number }
  emit(event: LightNodeEvent): void
}

/**
 * Builds the node's parts over `runtime`.
 *
 * @example
 * ```ts
 * const runtime = await startRuntime(init, { emit })
 * const { uploader } = createNodeParts(init, { runtime, digester: createSliceDigester(), fetched, emit })
 * ```
 */
export function createNodeParts(init: NodePartsInit, components: NodePartsComponents): NodeParts {
  const { runtime, emit } = components
  const { store, libp2p, index, owner } = runtime
  const { providers: providersInit, ...nodeInit } = init
  const providers = createProviders(providersInit ?? {}, { libp2p, index })
  const traffic = createNodeTraffic(nodeInit, { runtime, providers, emit })
  const uploader = createUploader(nodeInit, { store, libp2p, index, owner, digester: components.digester })
  const downloads = createNodeDownloads(nodeInit, {
    runtime,
    providers,
    traffic: traffic.downloads,
    fetched: components.fetched,
    emit,
  })
  return {
    runtime,
    uploader,
    downloads,
    providers,
    traffic,
    ownerBinding: createOwnerBinding(
      { network: init.network },
      {
        nodeKey: owner,
        register: index?.registerNodeOwner?.bind(index),
        settings: store,
      },
    ),
    files: () => listOwnedFiles({ gatewayUrl: init.gatewayUrl }, { listFiles: () => store.listFiles() }),
    withdraw: (fileHash, signer) =>
      withdrawFile(fileHash, signer, { network: init.network }, { store, index, owner }),
  }
}
