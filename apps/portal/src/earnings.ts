/**
 * What the Earnings view shows, from the light node's Proof of Traffic API (`traffic()`, `claim()`,
 * event `traffic:settled`: the contract between the portal and the light node). The node may not have
 * the API yet: it is detected, never assumed, and its absence is told as "not live yet". Amounts arrive
 * as decimal wei strings (STOS has 18 decimals) and are computed as bigints, never as floats.
 */

/** One epoch of the node's traffic, as `traffic()` reports it. */
export interface TrafficEpoch {
  epoch: number
  bytesServed: number
  receipts: number
  /** Wei, decimal. */
  reward: string
  state: 'open' | 'submitted' | 'settled' | 'claimable' | 'claimed'
}

/** The node's traffic and rewards (wei as decimal strings). */
export interface TrafficSummary {
  account: string
  network?: number
  currentEpoch: number
  epochMs: number
  epochs: TrafficEpoch[]
  pending: string
  claimable: string
  claimed: string
  /** STOS on Polygon, when the node knows an RPC. */
  balance?: string
}

/** What a claim did. */
export interface ClaimResult {
  epochs: number[]
  amount: string
  txHashes: string[]
}

/** The light node's Proof of Traffic API. */
export interface TrafficApi {
  traffic(): Promise<TrafficSummary>
  claim(options?: { signer?: unknown }): Promise<ClaimResult>
}

/** The node's traffic API when it has one; undefined on a node from before Proof of Traffic. */
export function trafficApiOf(node: object | undefined): TrafficApi | undefined {
  if (!node || !('traffic' in node) || !('claim' in node)) return undefined
  const api = node as Partial<TrafficApi>
  return typeof api.traffic === 'function' && typeof api.claim === 'function'
    ? (node as TrafficApi)
    : undefined
}

const WEI_PER_STOS = 10n ** 18n

/**
 * Wei (decimal string) as STOS with at most `digits` decimals, rounded down: `1500000000000000000` →
 * `1.5 STOS`. An amount too small for `digits` is shown in full (`900` → `0.0000000000000009 STOS`):
 * a first reward is often that small, and "< 0.0001" would hide whether it moved. A string that is not
 * a whole number reads `—`.
 */
export function formatStos(wei: string, digits = 4): string {
  if (!/^\d+$/.test(wei)) return '—'
  const value = BigInt(wei)
  const whole = value / WEI_PER_STOS
  const decimals = (value % WEI_PER_STOS).toString().padStart(18, '0')
  let fraction = decimals.slice(0, digits).replace(/0+$/, '')
  if (value > 0n && whole === 0n && !fraction) fraction = decimals.replace(/0+$/, '')
  return `${whole}${fraction ? `.${fraction}` : ''} STOS`
}

/** An epoch's length in words: `8 s`, `10 min`, `1 min 30 s`. */
export function formatEpochLength(epochMs: number): string {
  const s = Math.round(epochMs / 1000)
  if (s < 60) return `${s} s`
  return s % 60 === 0 ? `${s / 60} min` : `${Math.floor(s / 60)} min ${s % 60} s`
}

/** Wei as a float STOS, for the chart only (precision does not matter there). */
export function stosNumber(wei: string): number {
  return /^\d+$/.test(wei) ? Number(wei) / 1e18 : 0
}

/**
 * How often the Earnings view reads the figures again: a quarter of an epoch, between 2 and 15 s, so a
 * settled epoch shows within a fraction of an epoch whether epochs last ten minutes or a few seconds.
 */
export function refreshPeriodMs(epochMs: number | undefined): number {
  if (epochMs === undefined || !Number.isFinite(epochMs) || epochMs <= 0) return 15_000
  return Math.min(15_000, Math.max(2_000, Math.round(epochMs / 4)))
}

/** Whether any wei is claimable now. */
export function canClaim(summary: TrafficSummary): boolean {
  return /^\d+$/.test(summary.claimable) && BigInt(summary.claimable) > 0n
}

/** How each epoch state reads in the table. */
export const EPOCH_STATE_WORDS: Record<TrafficEpoch['state'], string> = {
  open: 'open: still counting',
  submitted: 'receipts submitted',
  settled: 'settled, root not posted yet',
  claimable: 'claimable',
  claimed: 'claimed',
}

/** One row of the per-epoch table: STOS pending, claimable or claimed by the epoch's state. */
export interface EpochRow {
  epoch: number
  bytesServed: number
  receipts: number
  pending: string
  claimable: string
  claimed: string
  state: string
}

/** The table's rows, newest epoch first. */
export function epochRows(summary: TrafficSummary): EpochRow[] {
  return [...summary.epochs]
    .sort((a, b) => b.epoch - a.epoch)
    .map((e) => {
      const reward = formatStos(e.reward)
      const where = e.state === 'claimable' ? 'claimable' : e.state === 'claimed' ? 'claimed' : 'pending'
      return {
        epoch: e.epoch,
        bytesServed: e.bytesServed,
        receipts: e.receipts,
        pending: where === 'pending' ? reward : '—',
        claimable: where === 'claimable' ? reward : '—',
        claimed: where === 'claimed' ? reward : '—',
        state: EPOCH_STATE_WORDS[e.state] ?? e.state,
      }
    })
}

/**
 * The chart's data (uPlot's column form): epochs in order, megabytes served and STOS earned per epoch,
 * from the first epoch with traffic to the current one; an epoch without traffic counts 0 (the node
 * lists only epochs it served in, and a lone point draws no line). At most `last` epochs, the newest.
 */
export function chartColumns(summary: TrafficSummary, last = 48): [number[], number[], number[]] {
  const byEpoch = new Map(summary.epochs.map((e) => [e.epoch, e]))
  if (byEpoch.size === 0) return [[], [], []]
  const newest = Math.max(summary.currentEpoch, ...byEpoch.keys())
  const oldest = Math.max(Math.min(...byEpoch.keys()), newest - last + 1)
  const epochs = Array.from({ length: newest - oldest + 1 }, (_, i) => oldest + i)
  return [
    epochs,
    epochs.map((n) => (byEpoch.get(n)?.bytesServed ?? 0) / 1e6),
    epochs.map((n) => stosNumber(byEpoch.get(n)?.reward ?? '0')),
  ]
}

/** What the view shows. */
export type EarningsState =
  | { kind: 'not-live' }
  | { kind: 'loading' }
  | { kind: 'live'; summary: TrafficSummary }
  | { kind: 'failed'; error: unknown }

/**
 * Reads the node's earnings: `not-live` when it has no traffic API, else its summary (or the failure).
 *
 * @example
 * ```ts
 * const state = await loadEarnings(session.node)
 * if (state.kind === 'live') console.log(formatStos(state.summary.claimable))
 * ```
 */
export async function loadEarnings(node: object | undefined): Promise<EarningsState> {
  const api = trafficApiOf(node)
  if (!api) return { kind: 'not-live' }
  try {
    return { kind: 'live', summary: await api.traffic() }
  } catch (error) {
    return { kind: 'failed', error }
  }
}

/**
 * Claims every claimable epoch (gas paid by `signer`, the page's wallet, or by the node's key) and says
 * what happened in a sentence.
 */
export async function claimEarnings(api: TrafficApi, signer: unknown): Promise<string> {
  const result = await api.claim(signer ? { signer } : {})
  if (result.epochs.length === 0) return 'Nothing was claimable.'
  const epochs = result.epochs.length === 1 ? `epoch ${result.epochs[0]}` : `${result.epochs.length} epochs`
  return `Claimed ${formatStos(result.amount)} for ${epochs} (${result.txHashes.length} transaction${result.txHashes.length === 1 ? '' : 's'}).`
}
