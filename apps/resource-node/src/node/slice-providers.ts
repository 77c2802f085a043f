import type { SliceHash } from '@stratos-edge/core'
import type { ProviderRecord } from '@stratos-edge/protocol'

/** How long an index answer naming providers is reused, ms. */
export const PROVIDERS_TTL_MS = 5_000
/**
 * How long "nobody useful has it" is reused, ms: no longer than the first wait for an unannounced slice,
 * so a reader waiting for an announcement sees a fresh answer after each pause (shared with other readers).
 */
export const NO_PROVIDERS_TTL_MS = 250
/** Slices whose answers are kept at most; the oldest go first. */
const MAX_ENTRIES = 4_096

/** Components of {@link createSliceProviders}. */
export interface SliceProvidersComponents {
  /** The index: providers of each slice, or undefined when it cannot answer (never cached). */
  lookup(hashes: SliceHash[]): Promise<Map<SliceHash, ProviderRecord[]> | undefined>
  /**
   * Whether a provider can serve the reader (the gateway: another resource node, not a browser). An
   * answer naming none is kept only {@link NO_PROVIDERS_TTL_MS}, so a late announcement is seen. Default:
   * any provider.
   */
  useful?(provider: ProviderRecord): boolean
  /** Milliseconds now (tests move it). */
  now?(): number
}

/** The index's providers of slices, shared by concurrent and repeated reads. */
export interface SliceProviders {
  /**
   * Providers of each of `hashes` (an empty list: nobody), or undefined when the index cannot answer.
   * Answers younger than their TTL are reused, and slices already being looked up are not asked again.
   */
  of(hashes: readonly SliceHash[]): Promise<Map<SliceHash, ProviderRecord[]> | undefined>
}

interface Entry {
  /** When the answer came (or the lookup started, while pending). */
  at: number
  answer: Promise<ProviderRecord[] | undefined>
  /** The answer once it came. */
  settled?: ProviderRecord[]
}

/**
 * Creates a short-lived, single-flight cache in front of the index's provider lookups: 50 readers of one
 * file cost one lookup of its slices, not 50.
 *
 * @example
 * ```ts
 * const providers = createSliceProviders({ lookup: meta.lookup })
 * const found = await providers.of([hash])
 * ```
 */
export function createSliceProviders(components: SliceProvidersComponents): SliceProviders {
  const now = components.now ?? Date.now
  const useful = components.useful ?? (() => true)
  const entries = new Map<SliceHash, Entry>()

  const usable = (e: Entry | undefined): boolean =>
    e !== undefined &&
    (e.settled === undefined || // still being looked up: shared
      now() - e.at < (e.settled.some(useful) ? PROVIDERS_TTL_MS : NO_PROVIDERS_TTL_MS))

  function lookUp(ask: SliceHash[]): void {
    const batch = components.lookup(ask).catch(() => undefined)
    for (const h of ask) {
      const entry: Entry = { at: now(), answer: batch.then((m) => (m ? (m.get(h) ?? []) : undefined)) }
      entries.delete(h)
      entries.set(h, entry)
      void entry.answer.then((a) => {
        if (entries.get(h) !== entry) return
        // An index that could not answer is asked again next time.
        if (a === undefined) entries.delete(h)
        else Object.assign(entry, { at: now(), settled: a })
      })
    }
  }

  async function of(hashes: readonly SliceHash[]): Promise<Map<SliceHash, ProviderRecord[]> | undefined> {
    const wanted = [...new Set(hashes)]
    const ask = wanted.filter((h) => !usable(entries.get(h)))
    if (ask.length > 0) lookUp(ask)
    const pending = wanted.map((h) => entries.get(h)?.answer)
    for (const oldest of entries.keys()) {
      if (entries.size <= MAX_ENTRIES) break
      entries.delete(oldest)
    }
    const answers = await Promise.all(pending)
    const found = new Map<SliceHash, ProviderRecord[]>()
    for (const [i, h] of wanted.entries()) {
      const a = answers[i]
      if (a === undefined) return undefined
      found.set(h, a)
    }
    return found
  }

  return { of }
}
