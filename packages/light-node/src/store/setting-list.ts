/**
 * A short list of records kept as JSON in one of the store's settings: newest last, at most `max`, none
 * older than `maxAgeMs`. Read-modify-writes run one at a time, so two callers never lose each other's
 * record; an unreadable value reads as empty (these lists are hints and resends, never the only copy of
 * anything a user would miss).
 */

/** The store's small private settings (`IdbSliceStore` has them). */
export interface StoreSettings {
  getSetting(name: string): Promise<Uint8Array | undefined>
  setSetting(name: string, value: Uint8Array): Promise<void>
}

/** Options of {@link createSettingList}. */
export interface SettingListInit<T> {
  /** The setting the list is kept under. */
  name: string
  /** Records kept at most; the oldest go first. */
  max: number
  /** Records older than this (ms) read as gone. */
  maxAgeMs: number
  /** When a record was kept (ms since the Unix epoch). */
  at(record: T): number
  /** Whether a stored value is a record at all; default: any object. */
  isRecord?(value: unknown): value is T
}

/** A list of records in one setting. */
export interface SettingList<T> {
  /** The fresh records, oldest first. */
  read(): Promise<T[]>
  /** Replaces the list with what `change` makes of the fresh records; nothing is written for `undefined`. */
  update(change: (records: T[]) => T[] | undefined): Promise<void>
}

/**
 * Creates a list over `settings`.
 *
 * @example
 * ```ts
 * const list = createSettingList<Kept>({ name: 'receipt-outbox', max: 64, maxAgeMs: DAY, at: (k) => k.at }, { settings: store })
 * await list.update((all) => [...all, kept])
 * ```
 */
export function createSettingList<T>(
  init: SettingListInit<T>,
  components: { settings: StoreSettings; now?: () => number },
): SettingList<T> {
  const now = components.now ?? Date.now
  const isRecord = init.isRecord ?? ((v: unknown): v is T => typeof v === 'object' && v !== null)
  let queue: Promise<unknown> = Promise.resolve()
  const serial = <R>(op: () => Promise<R>): Promise<R> => {
    const run = queue.then(op, op)
    queue = run.catch(() => {})
    return run
  }
  const read = async (): Promise<T[]> => {
    const raw = await components.settings.getSetting(init.name)
    if (!raw) return []
    try {
      const parsed = JSON.parse(new TextDecoder().decode(raw)) as unknown
      const fresh = now() - init.maxAgeMs
      return Array.isArray(parsed) ? parsed.filter((v): v is T => isRecord(v) && init.at(v) >= fresh) : []
    } catch {
      return []
    }
  }
  return {
    read: () => serial(read),
    update: (change) =>
      serial(async () => {
        const records = change(await read())
        if (!records) return
        const kept = JSON.stringify(records.slice(-init.max))
        await components.settings.setSetting(init.name, new TextEncoder().encode(kept))
      }),
  }
}
