import type { Connection, Libp2p } from '@libp2p/interface'
import type { SliceHash } from '@stratos-edge/core'
import { fetchSlice, SLICE_FETCH_PROTOCOL } from '@stratos-edge/protocol'
import type { ProviderInfo } from '../network-index.js'
import type { SliceDownloadInit } from './slice-download-init.js'

/** Longest silence from a provider during a slice transfer before it counts as stalled. */
const STALL_TIMEOUT_MS = 5000

/** One slice asked of one provider. */
export interface ProviderFetch {
  provider: ProviderInfo
  hash: SliceHash
  size: number
  /** The attempt's signal (the download's and the race's). */
  signal: AbortSignal
  /** Called once a connection to the provider is open. */
  onConnected?: (() => void) | undefined
  /** Set to the connection the fetch used (so a redial closes that one alone). */
  used?: { conn?: Connection }
}

/**
 * Fetches one slice from one provider: connects (its own 25 s budget), opens a fetch stream (redialling
 * once when the connection's remote went away), then reads the slice within a time for its size, giving
 * up early on a provider silent for the stall timeout.
 *
 * @example
 * ```ts
 * const data = await fetchFromProvider(init, { provider, hash, size: 4 << 20, signal })
 * ```
 */
export async function fetchFromProvider(
  init: Pick<SliceDownloadInit, 'connect' | 'sliceTimeoutMs' | 'stallTimeoutMs'>,
  request: ProviderFetch,
): Promise<Uint8Array> {
  const { provider, hash, size, signal: attemptSignal, onConnected } = request
  const used = request.used ?? {}
  // Dialling has its own budget (retries of stalled WebRTC dials included); the transfer is then
  // bounded: a provider slower than 250 KB/s (plus 5 s) counts as slow and is dropped.
  const dialSignal = AbortSignal.any([attemptSignal, AbortSignal.timeout(25_000)])
  let conn = await init.connect(provider, dialSignal)
  used.conn = conn
  onConnected?.()
  const limit = init.sliceTimeoutMs ?? 5000 + Math.ceil(size / 250)
  // A provider that sends nothing for 5 s (a dead connection, a stalled peer) is given up on early.
  const stall = new AbortController()
  const stallMs = init.stallTimeoutMs ?? STALL_TIMEOUT_MS
  let watchdog = setTimeout(() => stall.abort(new Error('Provider stalled')), stallMs)
  const signal = AbortSignal.any([attemptSignal, AbortSignal.timeout(limit), stall.signal])
  let stream: Awaited<ReturnType<Connection['newStream']>> | undefined
  try {
    stream = await conn.newStream(SLICE_FETCH_PROTOCOL, { signal })
  } catch (err) {
    // An abort (a cancelled download, the losing side of a race, the stall watchdog) says nothing
    // about the connection: leave it alone.
    if (signal.aborted) throw err
    // A connection whose remote went away (a reload) is noticed late: close it alone and redial once.
    conn = await init.connect(provider, dialSignal, conn)
    used.conn = conn
    stream = await conn.newStream(SLICE_FETCH_PROTOCOL, { signal })
  }
  const opened = stream
  const viaConnection = { dialProtocol: async () => opened }
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
