import type { EvmAddress, FileHash } from '@stratos-edge/core'
import { type SelfReport, selfReportSignatureValid } from './self-report.js'

/**
 * Why a self-report did not count:
 * - `wrong-network`: signed for another network;
 * - `forged`: malformed, or not signed by the provider it names;
 * - `not-self-reporter`: the meta service does not take self-reports from this provider (only nodes it
 *   runs or lists: a stranger's word is worth nothing);
 * - `future`: its epoch has not ended (a self-report covers a closed epoch only);
 * - `late`: its epoch's late window has closed, or the epoch is settled;
 * - `already-reported`: another report of this provider for this epoch is held (one per epoch, so the
 *   same bytes are never paid twice).
 */
export type SelfReportRejectReason =
  | 'wrong-network'
  | 'forged'
  | 'not-self-reporter'
  | 'future'
  | 'late'
  | 'already-reported'

/** One (owner, file) line of a held self-report. */
export interface HeldSelfReportEntry {
  readonly provider: EvmAddress
  readonly owner: EvmAddress
  readonly fileHash: FileHash
  readonly bytes: bigint
}

/** What a self-report is checked against before it is held. */
export interface SelfReportContext {
  /** The network the settlement serves; undefined: not checked. */
  readonly network: number | undefined
  /** The epoch now. */
  readonly currentEpoch: number
  /** Whether the report's epoch still takes submissions (its late window is open). */
  readonly open: boolean
  /** Whether this provider's self-reports are taken. */
  readonly mayReport: boolean
}

/** The stateless rules of a self-report, cheapest first; undefined when it may be held. */
export function checkSelfReport(r: SelfReport, ctx: SelfReportContext): SelfReportRejectReason | undefined {
  if (ctx.network !== undefined && r.network !== ctx.network) return 'wrong-network'
  if (r.epoch >= ctx.currentEpoch) return 'future'
  if (!ctx.open) return 'late'
  if (!ctx.mayReport) return 'not-self-reporter'
  if (!selfReportSignatureValid(r)) return 'forged'
  return undefined
}

/** Default weight of a self-reported byte against a receipted one, in basis points: one half. */
export const DEFAULT_SELF_REPORT_WEIGHT_BPS = 5000

/** What an epoch's self-reports are worth after the owners' caps and the weight. */
export interface CappedSelfReports {
  /** Per provider: bytes paid after the caps (`bytes`) and what they count for (`weighted`). */
  readonly perProvider: Map<EvmAddress, { bytes: bigint; weighted: bigint }>
  /** Per owner: weighted bytes its ozone pays. */
  readonly perOwner: Map<EvmAddress, bigint>
}

/**
 * Caps and weighs an epoch's self-reported bytes. Each owner pays self-reported traffic only up to
 * `capBytes(owner)` (what its paid ozone still covers after its receipted traffic); when its providers
 * report more, each gets its pro-rata share, rounded down. Each paid line then counts
 * `bytes·weightBps/10000`, rounded down: less than a receipted byte, since no reader attested to it.
 * So the weighted bytes of an owner never pass its cap.
 *
 * @example
 * ```ts
 * const { perProvider } = capSelfReports(entries, (owner) => 10_000n, 5000)
 * ```
 */
export function capSelfReports(
  entries: readonly HeldSelfReportEntry[],
  capBytes: (owner: EvmAddress) => bigint,
  weightBps: number = DEFAULT_SELF_REPORT_WEIGHT_BPS,
): CappedSelfReports {
  const weight = BigInt(Math.max(0, Math.min(10_000, Math.floor(weightBps))))
  const claimed = new Map<EvmAddress, bigint>()
  for (const e of entries) claimed.set(e.owner, (claimed.get(e.owner) ?? 0n) + e.bytes)
  const perProvider = new Map<EvmAddress, { bytes: bigint; weighted: bigint }>()
  const perOwner = new Map<EvmAddress, bigint>()
  for (const e of entries) {
    const cap = capBytes(e.owner)
    const allowed = cap > 0n ? cap : 0n
    const total = claimed.get(e.owner) as bigint
    const bytes = total <= allowed ? e.bytes : (e.bytes * allowed) / total
    const weighted = (bytes * weight) / 10_000n
    const p = perProvider.get(e.provider) ?? { bytes: 0n, weighted: 0n }
    p.bytes += bytes
    p.weighted += weighted
    perProvider.set(e.provider, p)
    perOwner.set(e.owner, (perOwner.get(e.owner) ?? 0n) + weighted)
  }
  return { perProvider, perOwner }
}
