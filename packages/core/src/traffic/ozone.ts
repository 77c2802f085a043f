import { InvalidArgumentError } from '../errors.js'

/**
 * The network state stratos-chain's ozone market depends on (`x/sds`, `x/pot`), all in the smallest
 * token unit (wei) or ozone unit (noz):
 * - `totalDeposit` (S): effective deposits of resource and meta nodes;
 * - `unissuedPrepay` (Pt): tokens prepaid and not yet paid out as rewards;
 * - `remainingOzoneLimit` (Lt): ozone still for sale.
 */
export interface OzoneMarket {
  readonly totalDeposit: bigint
  readonly unissuedPrepay: bigint
  readonly remainingOzoneLimit: bigint
}

function nonNegative(name: string, v: bigint): void {
  if (v < 0n) throw new InvalidArgumentError(`${name} must not be negative`)
}

/**
 * Ozone bought by prepaying `amount` X: floor(Lt·X / (S + Pt + X)). The chain computes this in 18-decimal
 * fixed point and truncates; the exact rational floored here equals it except when the 18-decimal
 * intermediate rounding crosses an integer, which needs a quotient within 1e-18 of one.
 *
 * @example
 * ```ts
 * ozoneForPrepay(10n ** 18n, { totalDeposit: 10n ** 21n, unissuedPrepay: 0n, remainingOzoneLimit: 10n ** 21n })
 * ```
 */
export function ozoneForPrepay(amount: bigint, market: OzoneMarket): bigint {
  nonNegative('amount', amount)
  const { totalDeposit: s, unissuedPrepay: pt, remainingOzoneLimit: lt } = market
  nonNegative('S', s)
  nonNegative('Pt', pt)
  nonNegative('Lt', lt)
  const denominator = s + pt + amount
  if (denominator === 0n) return 0n
  return (lt * amount) / denominator
}

/** The market after a prepay: Pt grows by X, Lt shrinks by the ozone sold. Also returns that ozone. */
export function applyPrepay(amount: bigint, market: OzoneMarket): { ozone: bigint; market: OzoneMarket } {
  const ozone = ozoneForPrepay(amount, market)
  return {
    ozone,
    market: {
      totalDeposit: market.totalDeposit,
      unissuedPrepay: market.unissuedPrepay + amount,
      remainingOzoneLimit: market.remainingOzoneLimit - ozone,
    },
  }
}

/** Fixed-point scale of {@link ozonePrice}: 18 decimals, like the chain's `Dec`. */
export const PRICE_SCALE = 10n ** 18n

/** Current ozone price (S + Pt) / Lt in wei per noz, scaled by {@link PRICE_SCALE} and truncated. */
export function ozonePrice(market: OzoneMarket): bigint {
  if (market.remainingOzoneLimit <= 0n) throw new InvalidArgumentError('No ozone left for sale (Lt = 0)')
  return ((market.totalDeposit + market.unissuedPrepay) * PRICE_SCALE) / market.remainingOzoneLimit
}

/**
 * The total traffic reward of an epoch in which `volume` Y ozone of traffic was reported:
 * R = (S + Pt)·Y / (Lt + Y), truncated (as `x/pot` `GetTrafficReward`).
 */
export function trafficReward(volume: bigint, market: OzoneMarket): bigint {
  nonNegative('volume', volume)
  const denominator = market.remainingOzoneLimit + volume
  if (denominator === 0n) return 0n
  return ((market.totalDeposit + market.unissuedPrepay) * volume) / denominator
}

/** Shares of the traffic reward in basis points; the first-phase default is 60/20/20. */
export interface RewardSplit {
  readonly resourceNodeBp: number
  readonly metaNodeBp: number
  readonly blockchainBp: number
}

/** Stratos' first-phase split: resource nodes 60%, meta nodes 20%, the chain (validators) 20%. */
export const FIRST_PHASE_SPLIT: RewardSplit = Object.freeze({
  resourceNodeBp: 6000,
  metaNodeBp: 2000,
  blockchainBp: 2000,
})

/** Splits a reward into its three pools, each truncated. */
export function splitTrafficReward(
  reward: bigint,
  split: RewardSplit = FIRST_PHASE_SPLIT,
): { resourceNodes: bigint; metaNodes: bigint; blockchain: bigint } {
  if (split.resourceNodeBp + split.metaNodeBp + split.blockchainBp !== 10_000) {
    throw new InvalidArgumentError('Reward split must add up to 10000 basis points')
  }
  const part = (bp: number) => (reward * BigInt(bp)) / 10_000n
  return {
    resourceNodes: part(split.resourceNodeBp),
    metaNodes: part(split.metaNodeBp),
    blockchain: part(split.blockchainBp),
  }
}

/**
 * Shares a pool among providers in proportion to the traffic each served, truncating each share (the
 * remainder stays in the pool, as on chain). Providers with no traffic get nothing.
 *
 * @example
 * ```ts
 * shareByVolume(1000n, [{ account: a, bytes: 3n }, { account: b, bytes: 1n }]) // a: 750n, b: 250n
 * ```
 */
export function shareByVolume<T extends { account: string; bytes: bigint }>(
  pool: bigint,
  volumes: readonly T[],
): { account: string; amount: bigint }[] {
  nonNegative('pool', pool)
  for (const v of volumes) nonNegative(`volume of ${v.account}`, v.bytes)
  const total = volumes.reduce((sum, v) => sum + v.bytes, 0n)
  if (total === 0n) return []
  return volumes
    .filter((v) => v.bytes > 0n)
    .map((v) => ({ account: v.account, amount: (pool * v.bytes) / total }))
}
