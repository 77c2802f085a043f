/** Messages between the embed script (host page) and its frame (the node's origin). */

/** Frame → page: what the node gives, every couple of seconds. */
export interface FrameStatus {
  type: 'stratos-edge:status'
  state: 'starting' | 'running' | 'offline' | 'stopped'
  budgetBytes: number
  keptBytes: number
  servedBytes: number
  detail?: string
}

/** Page → frame: stop giving (drop what was kept for others, stop the node). */
export interface FrameStop {
  type: 'stratos-edge:stop'
}

/** Hard ceiling of the budget a site may ask of its visitors, whatever `data-budget` says. */
export const MAX_BUDGET_BYTES = 1e9
/** Budget when `data-budget` is absent. */
export const DEFAULT_BUDGET_BYTES = 100e6

/**
 * Reads `data-budget` (`200MB`, `0.5GB`, `50000000`); clamps to {@link MAX_BUDGET_BYTES}; undefined when
 * malformed (the snippet then refuses to run and says why in the console).
 *
 * @example
 * ```ts
 * parseSnippetBudget('200MB') // 200_000_000
 * ```
 */
export function parseSnippetBudget(text: string | null | undefined): number | undefined {
  if (text === null || text === undefined || text.trim() === '') return DEFAULT_BUDGET_BYTES
  const m = /^(\d+(?:\.\d+)?)\s*(B|kB|MB|GB)?$/i.exec(text.trim())
  if (!m) return undefined
  const unit = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9 }[(m[2] ?? 'b').toLowerCase()] ?? 1
  const bytes = Math.floor(Number(m[1]) * unit)
  if (bytes < 1e6) return undefined
  return Math.min(bytes, MAX_BUDGET_BYTES)
}
