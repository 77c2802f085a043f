import type { Connection, PeerId, Stream } from '@libp2p/interface'
import type { FileHash, SliceHash } from '@stratos-edge/core'
import type { FetchRequest, PeerAddress, PushHeader } from './slice-messages.js'
import type { SliceRecord, SliceStore } from './slice-store.js'

/** What the slice service tells its owner about a stored, served or rejected slice. */
export interface SliceServiceEvents {
  /**
   * A pushed slice verified and is durable; it has been (or is being) acknowledged. `isNew` is false when
   * the store held it already (its `put` resolved `false`): nothing new to count or copy on.
   */
  onSliceStored?(
    slice: SliceRecord,
    context: {
      from: PeerId
      forward: PeerAddress[]
      isNew: boolean
      /** The upload ticket the push carried (core's `encodeTicket`), if any: copies on carry it too. */
      ticket?: Uint8Array
    },
  ): void
  /** A slice (or its tail from an offset) was sent to `peer`. */
  onSliceServed?(info: { hash: string; bytes: number; peer: PeerId }): void
  /** A stream was closed because of `error` (malformed, oversized, wrong hash, store full...). */
  onStreamError?(error: Error, context: { protocol: string; peer: PeerId }): void
}

/**
 * What became of one admitted push, told exactly once and only once its store write has settled (or its
 * body never came): `stored` with `isNew` false means the store held it already. A charge taken at
 * admission is kept for a new slice and given back otherwise, with no window in which both can happen.
 */
export type PushSettle = (outcome: { stored: boolean; isNew: boolean }) => void

/** Options of `registerSliceProtocols`. */
export interface SliceServiceInit extends SliceServiceEvents {
  /** Where slices are read from and written to. */
  store: SliceStore
  /** Serve slice fetches (default true). */
  serveFetch?: boolean
  /** Accept pushed slices (default true). */
  acceptPush?: boolean
  /** Slices of one push stream verified and waiting for the store before reading stops (default 4). */
  pipelineDepth?: number
  /**
   * Bytes of received-but-not-yet-stored slices held across all push streams (default 256 MiB). A
   * header reserves its slice's size before any buffer is allocated; over the budget, the stream waits
   * (its remote is backpressured), so declared sizes cannot exhaust memory.
   */
  maxBufferedBytes?: number
  /** Bytes of `maxBufferedBytes` one peer may hold reserved at once; its further pushes wait (default ¼). */
  maxBufferedBytesPerPeer?: number
  /**
   * Slowest accepted push, bytes/s: each pushed slice must arrive within 5 s plus its size at this rate
   * (default 64 KiB/s), however often its frames come, or the stream fails with ProtocolTimeoutError.
   */
  minPushRate?: number
  /** Inactivity timeout of a stream, ms (default 30 000). */
  timeout?: number
  /** Concurrent inbound streams per connection and protocol (default 64). */
  maxInboundStreams?: number
  /** Also serve over relayed (limited) connections (default false). */
  runOnLimitedConnection?: boolean
  /**
   * Hashes a whole received slice, e.g. on a worker thread so hashing runs on another core while the
   * next slice arrives. Default: hash incrementally on this thread as the pieces arrive.
   */
  hashSlice?: (sliceNumber: number, data: Uint8Array, fileHash: FileHash) => Promise<SliceHash>
  /**
   * Decides whether a push may be stored, from its header alone, before any of its data is read or memory
   * reserved (e.g. its upload ticket). Throws to refuse it: the stream fails with that error. May return
   * a {@link PushSettle}, called once with what became of that slice.
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: an admitter with nothing to settle returns nothing
  admitPush?(header: PushHeader, from: PeerId): Promise<PushSettle | void> | PushSettle | void
  /**
   * Decides whether a fetch may be served once the slice was found, before any byte is sent (e.g. a
   * per-peer rate limit); `bytes` is what the answer would send. Throws to refuse it (e.g.
   * `RateLimitedError`): the stream fails with that error.
   */
  admitFetch?(request: { hash: SliceHash; bytes: number }, from: PeerId): Promise<void> | void
  /**
   * Decides whether a fetch may be served, before any byte is read from the store (e.g. a receipt gate:
   * a downloader that owes receipts past a grace). Throws to refuse it: the stream fails with that error.
   */
  admitReceipts?(request: FetchRequest, from: PeerId): Promise<void> | void
}

/** Handle returned by `registerSliceProtocols`. */
export interface SliceService {
  /** Handles one inbound fetch stream (exposed so other transports/tests can drive it). */
  handleFetch(stream: Stream, connection: Pick<Connection, 'remotePeer'>): Promise<void>
  /** Handles one inbound push stream. */
  handlePush(stream: Stream, connection: Pick<Connection, 'remotePeer'>): Promise<void>
  /** Removes the protocol handlers. */
  unregister(): Promise<void>
}
