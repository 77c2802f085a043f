/**
 * When each slice was last read, for least-recently-used eviction. Reads are noted in memory and
 * written in one transaction a second after the first, not one write per read.
 */
import type { SliceDatabase } from './slice-schema.js'

/** Edges of {@link AccessTracker}. */
export interface AccessTrackerComponents {
  /** The open database; undefined once closed (the notes are then dropped). */
  database(): SliceDatabase | undefined
  now(): number
}

/** See the module doc. */
export class AccessTracker {
  private readonly touched = new Map<string, number>()

  constructor(private readonly components: AccessTrackerComponents) {}

  /** Notes that `hash` was read now. */
  touch(hash: string): void {
    const first = this.touched.size === 0
    this.touched.set(hash, this.components.now())
    if (first) setTimeout(() => void this.flush(), 1000)
  }

  /** Writes the noted reads. */
  async flush(): Promise<void> {
    const touched = [...this.touched]
    this.touched.clear()
    const db = this.components.database()
    if (!db || touched.length === 0) return
    const tx = db.transaction('meta', 'readwrite')
    for (const [hash, at] of touched) {
      const meta = await tx.store.get(hash)
      if (meta) {
        meta.lastAccess = at
        await tx.store.put(meta)
      }
    }
    await tx.done.catch(() => {})
  }
}
