import { InvalidArgumentError } from '../errors.js'

/** Stratos settles traffic about every 10 minutes; the default epoch length. */
export const DEFAULT_EPOCH_MS = 10 * 60 * 1000

/** Epoch clock parameters; all nodes of a network must agree on them. */
export interface EpochClock {
  /** Start of epoch 0, ms since the Unix epoch. */
  readonly genesisMs: number
  /** Epoch length in ms; default {@link DEFAULT_EPOCH_MS}. */
  readonly epochMs?: number
}

/**
 * The epoch number containing `timeMs`.
 *
 * @example
 * ```ts
 * epochAt(Date.now(), { genesisMs: 0 })
 * ```
 */
export function epochAt(timeMs: number, clock: EpochClock): number {
  const epochMs = clock.epochMs ?? DEFAULT_EPOCH_MS
  if (timeMs < clock.genesisMs) throw new InvalidArgumentError('Time is before the epoch genesis')
  return Math.floor((timeMs - clock.genesisMs) / epochMs)
}

/** Start and end (exclusive) of an epoch in ms. */
export function epochBounds(epoch: number, clock: EpochClock): { start: number; end: number } {
  const epochMs = clock.epochMs ?? DEFAULT_EPOCH_MS
  const start = clock.genesisMs + epoch * epochMs
  return { start, end: start + epochMs }
}
