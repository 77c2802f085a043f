import type { Connection } from '@libp2p/interface'
import type { Manifest } from '@stratos-edge/core'
import type { IdbSliceStore } from '../../store/idb-slice-store.js'
import type { ProviderInfo } from '../network-index.js'

/** Inputs of a `SliceDownload`. */
export interface SliceDownloadInit {
  manifest: Manifest
  store: IdbSliceStore
  signal: AbortSignal
  /** Slices fetched at once. */
  parallelism: number
  /** Providers per slice hash; rejects with the signal's reason once it is aborted. */
  providers(hashes: readonly string[], signal: AbortSignal): Promise<Map<string, ProviderInfo[]>>
  /** A connection for slice traffic; `failed`, a connection that could not open a stream, is closed first. */
  connect(provider: ProviderInfo, signal: AbortSignal, failed?: Connection): Promise<Connection>
  onFetched?(hash: string, bytes: number, provider: ProviderInfo): void
  /** A slice read from this node's own store. */
  onLocal?(hash: string, bytes: number): void
  onDropped?(peerId: string, reason: string): void
  /**
   * A provider refused to serve more until it gets a receipt (`ReceiptsOverdueError`): sign and send one;
   * the fetch is then tried once more. Without it the provider is dropped like any other failure.
   */
  onReceiptsOverdue?(provider: ProviderInfo, signal: AbortSignal): Promise<void>
  /** Called with the hashes fetched and stored (for announcing). */
  onComplete?(hashes: string[]): void
  /** Longest silence from a provider during a transfer before it counts as stalled; default 5 s. */
  stallTimeoutMs?: number
  /** Time allowed for one slice from one provider before it counts as slow; default 5 s + 4 ms per KB (after connecting). */
  sliceTimeoutMs?: number
  /**
   * Time a browser provider has to connect before a resource node is asked for the same slice at once
   * (the first to deliver wins); default 2.5 s. A healthy WebRTC dial takes about 0.1–0.6 s here, and
   * one that stalls (about one in ten) connects on its retry after 1.5 s, before the race starts.
   */
  hedgeDelayMs?: number
}
