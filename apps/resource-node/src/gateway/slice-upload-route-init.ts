import type { PeerAddress, SliceRecord } from '@stratos-edge/protocol'
import type { Logger } from '../logger.js'
import type { NodeMetrics } from '../node/metrics.js'
import type { StagedSliceFile } from '../store/disk-slice-store.js'
import type { TicketGate } from './ticket-gate.js'
import type { UploadStaging } from './upload-staging.js'

/** What the upload route needs of the node. */
export interface SliceUploadTarget {
  /** This node's peer id, echoed in receipts. */
  peerId: string
  /** True when the slice is already stored (the body is then drained, not stored again). */
  has(hash: string): Promise<boolean>
  /** Bytes the store can still take. */
  freeBytes(): number
  /** Evicts unpaid slices until `bytes` more fit; true when they do. Without it, a full store is full. */
  makeRoom?(bytes: number): Promise<boolean>
  /**
   * Durably stores and announces a slice, then copies it on to `forward`; verifies its hash first unless
   * `verified` (a staged slice whose hash was finished from its digest). With `staged`, the slice's bytes
   * already written ahead to the store are adopted (the temp file is gone when this settles). `ticket`
   * (core's `encodeTicket`) is the upload ticket that paid for it: the copies on carry it.
   */
  put(
    slice: SliceRecord,
    forward: PeerAddress[],
    options?: { verified?: boolean; staged?: StagedSliceFile; ticket?: Uint8Array },
  ): Promise<void>
  /**
   * Keccak-256 of (uint64 BE slice number ‖ bytes), off the network thread; the bytes are handed over
   * and come back as the returned `data` (use that, not the argument).
   */
  digest(number: number, data: Uint8Array): Promise<{ digest: Uint8Array; data: Uint8Array }>
}

/** Options of `createSliceUploadRoute`. */
export interface SliceUploadRouteInit {
  target: SliceUploadTarget
  metrics: NodeMetrics
  logger: Logger
  /** Most upload bytes held in memory at once; more uploads wait (TCP backpressure). Default 256 MiB. */
  maxBufferedBytes?: number
  /** Most upload bytes one client (remote address) holds at once; default a quarter of the budget. */
  maxBufferedBytesPerClient?: number
  /**
   * An upload whose body stalls this long is dropped, and one waiting this long for upload memory is
   * refused with UploadBusyError (503), ms (default 30 000).
   */
  idleTimeoutMs?: number
  /**
   * Slowest body rate accepted, bytes per second, after an `idleTimeoutMs` grace (default 16 KiB/s, so a
   * browser on a slow uplink that sends a few slices at once still passes), checked as bytes arrive: a
   * body behind it is dropped within a few seconds, whatever its size.
   */
  minBytesPerSecond?: number
  /** Where staged slices wait for their commit. */
  staging: UploadStaging
  /**
   * Count fair shares by the last X-Forwarded-For address (the node is behind a reverse proxy that
   * appends it), not by the socket's: behind a proxy every client is the proxy. Default false.
   */
  trustProxy?: boolean
  /**
   * Upload tickets: with it, every upload, staging and commit needs a valid ticket (`x-stratos-ticket`),
   * checked before any body byte is read, and the bytes stored are counted against it.
   */
  tickets?: TicketGate
}
