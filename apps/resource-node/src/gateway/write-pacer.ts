/** Options of {@link createWritePacer}. */
export interface WritePacerInit {
  /** Bytes all readers together may write in one turn of the event loop before the rest wait for the next. */
  bytesPerTurn: number
}

/** Shares the event loop between gateway readers and everything else the node does. */
export interface WritePacer {
  /**
   * Claims `bytes` of this turn's writes: undefined while the turn's share lasts (write at once), else a
   * promise that resolves in a later turn, readers served first come, first served.
   */
  take(bytes: number): Promise<void> | undefined
  /** Readers waiting for a turn now (tests). */
  readonly waiting: number
}

/**
 * Creates the pacer. Without it, every reader whose socket drained writes in the same turn: with 200
 * readers a turn moved up to 100 MB, and every other callback (an upload's body, its file steps, a
 * `/healthz`) waited for all of it. With it, a turn writes about `bytesPerTurn` and the rest go on in the
 * following turns, between which the node's other I/O is served.
 *
 * @example
 * ```ts
 * const pacer = createWritePacer({ bytesPerTurn: 4 * 2 ** 20 })
 * const wait = pacer.take(chunk.length)
 * if (wait) await wait
 * res.write(chunk)
 * ```
 */
export function createWritePacer(init: WritePacerInit): WritePacer {
  let used = 0
  let scheduled = false
  const queue: Array<{ bytes: number; go: () => void }> = []

  const nextTurn = (): void => {
    scheduled = false
    used = 0
    // Bounded: at most the readers queued now, each released once.
    while (queue.length > 0 && used < init.bytesPerTurn) {
      const w = queue.shift() as { bytes: number; go: () => void }
      used += w.bytes
      w.go()
    }
    if (queue.length > 0 || used > 0) schedule()
  }
  const schedule = (): void => {
    if (scheduled) return
    scheduled = true
    // setImmediate runs after the poll phase: the I/O that waited is served between two batches.
    setImmediate(nextTurn)
  }

  return {
    take(bytes) {
      schedule()
      if (queue.length === 0 && used < init.bytesPerTurn) {
        used += bytes
        return undefined
      }
      return new Promise<void>((go) => {
        queue.push({ bytes, go })
      })
    },
    get waiting() {
      return queue.length
    },
  }
}
