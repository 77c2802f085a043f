import { type EpochClock, type EvmAddress, epochAt, type FileHash, toEvmAddress } from '@stratos-edge/core'

/** Bytes the gateway served of one file in one epoch; its owner's ozone pays for them. */
export interface ServedFile {
  readonly owner: EvmAddress
  readonly fileHash: FileHash
  readonly bytes: bigint
}

/** One epoch's gateway traffic, summed over its files. */
export interface ServedEpoch {
  readonly epoch: number
  readonly bytes: bigint
  readonly files: number
  /** Bytes not attributed because the epoch already had `maxFilesPerEpoch` files (not reported). */
  readonly droppedBytes: bigint
}

/** Options of {@link createServedTraffic}. */
export interface ServedTrafficInit {
  /** The network's epoch clock (the meta service's). */
  readonly clock: EpochClock
  /** Epochs kept, newest first (default 12): older ones are forgotten. */
  readonly keepEpochs?: number
  /** Distinct (owner, file) pairs counted per epoch (default 100 000): bounds memory. */
  readonly maxFilesPerEpoch?: number
  /** Current time in ms; default `Date.now`. */
  readonly now?: () => number
}

/** Counts the bytes the HTTP gateway serves, per epoch and per (owner, file). */
export interface ServedTraffic {
  /** Adds `bytes` served of `fileHash` (owned by `owner`) now. */
  add(owner: string, fileHash: FileHash, bytes: number): void
  /** The files served in `epoch`, sorted by owner then file (empty when none or forgotten). */
  files(epoch: number): ServedFile[]
  /** Every epoch still kept, oldest first. */
  epochs(): ServedEpoch[]
  /** The epoch now, by the clock. */
  currentEpoch(): number
}

interface EpochCount {
  readonly files: Map<string, { owner: EvmAddress; fileHash: FileHash; bytes: bigint }>
  bytes: bigint
  dropped: bigint
}

/**
 * The gateway's own traffic ledger for anonymous HTTP readers: no reader signs a receipt, so the node
 * reports these bytes itself (a self-report, capped and weighted down by the meta service). Kept in
 * memory: a restart loses the open epoch's count, which under-reports, never over-reports.
 *
 * @example
 * ```ts
 * const served = createServedTraffic({ clock: { genesisMs, epochMs } })
 * served.add(manifest.owner, manifest.fileHash, chunk.length)
 * served.files(served.currentEpoch() - 1) // the closed epoch's report
 * ```
 */
export function createServedTraffic(init: ServedTrafficInit): ServedTraffic {
  const now = init.now ?? Date.now
  const keep = init.keepEpochs ?? 12
  const maxFiles = init.maxFilesPerEpoch ?? 100_000
  const byEpoch = new Map<number, EpochCount>()
  const currentEpoch = (): number => epochAt(Math.max(now(), init.clock.genesisMs), init.clock)

  return {
    add(ownerAddress, fileHash, bytes) {
      if (bytes <= 0) return
      const epoch = currentEpoch()
      let count = byEpoch.get(epoch)
      if (!count) {
        count = { files: new Map(), bytes: 0n, dropped: 0n }
        byEpoch.set(epoch, count)
        for (const e of byEpoch.keys()) if (e <= epoch - keep) byEpoch.delete(e)
      }
      const owner = toEvmAddress(ownerAddress)
      const key = `${owner}/${fileHash}`
      const entry = count.files.get(key)
      if (entry) entry.bytes += BigInt(bytes)
      else if (count.files.size < maxFiles) count.files.set(key, { owner, fileHash, bytes: BigInt(bytes) })
      else {
        count.dropped += BigInt(bytes)
        return
      }
      count.bytes += BigInt(bytes)
    },
    files(epoch) {
      const count = byEpoch.get(epoch)
      if (!count) return []
      return [...count.files.entries()]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([, f]) => ({ owner: f.owner, fileHash: f.fileHash, bytes: f.bytes }))
    },
    epochs() {
      return [...byEpoch.entries()]
        .sort(([a], [b]) => a - b)
        .map(([epoch, c]) => ({ epoch, bytes: c.bytes, files: c.files.size, droppedBytes: c.dropped }))
    },
    currentEpoch,
  }
}
