/** The Contribute view's budget field: what the visitor typed, checked against what the browser allows. */
import { formatBytes } from './format.ts'

/** Units offered beside the budget field (decimal, like the browser's and the disk's own labels). */
export const BUDGET_UNITS = { MB: 1e6, GB: 1e9 } as const
export type BudgetUnit = keyof typeof BUDGET_UNITS

/** The outcome of {@link parseBudget}: bytes to give, or a sentence saying what to fix. */
export type BudgetResult = { ok: true; bytes: number } | { ok: false; error: string }

/**
 * Parses the budget the visitor typed. An empty field is an error (never 0); so is anything above what
 * the browser lets this site store (`quotaBytes` from `navigator.storage.estimate()`).
 *
 * @example
 * ```ts
 * parseBudget('2', 'GB', 10e9) // { ok: true, bytes: 2_000_000_000 }
 * parseBudget('', 'GB', 10e9)  // { ok: false, error: 'Enter how much storage to give, for example 2 GB.' }
 * ```
 */
export function parseBudget(text: string, unit: BudgetUnit, quotaBytes: number | undefined): BudgetResult {
  const trimmed = text.trim().replace(',', '.')
  if (trimmed === '') return { ok: false, error: 'Enter how much storage to give, for example 2 GB.' }
  if (!/^\d+(\.\d+)?$/.test(trimmed)) return { ok: false, error: `"${text.trim()}" is not a number.` }
  const bytes = Math.round(Number(trimmed) * BUDGET_UNITS[unit])
  if (bytes <= 0) return { ok: false, error: 'The budget must be more than 0.' }
  if (bytes < 1e6) return { ok: false, error: 'Give at least 1 MB.' }
  if (quotaBytes !== undefined && bytes > quotaBytes)
    return {
      ok: false,
      error: `This browser lets this site store at most ${formatBytes(quotaBytes)}. Choose ${formatBytes(quotaBytes)} or less.`,
    }
  return { ok: true, bytes }
}
