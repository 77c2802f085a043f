/**
 * Slice digests computed beside the file hash. An upload must hash every byte twice: into the file hash,
 * and into its slice's hash, which needs the file hash first. Done in one thread that is two sequential
 * passes; here the slice half runs in a helper worker on another core while the node's worker computes
 * the file hash, and the upload pass then only finishes each slice hash (one 22-byte Keccak).
 */

/** A request to the digest worker. */
export interface DigestRequest {
  id: number
  blob: Blob
  sliceSize: number
}

/** The digest worker's answer: 32 bytes per slice, in order, or an error. */
export type DigestReply = { id: number; digests: Uint8Array } | { id: number; error: string }

/** Computes slice digests in a helper worker; one worker, started on first use and kept. */
export interface SliceDigester {
  /**
   * The inner digest of every slice of `blob`, or undefined when no helper worker can run here (the
   * caller then hashes slices itself).
   */
  digests(blob: Blob, sliceSize: number, signal?: AbortSignal): Promise<Uint8Array[] | undefined>
  close(): void
}

/** Creates the digester; `spawn` makes the helper worker (default: the bundled digest worker). */
export function createSliceDigester(
  spawn: () => Worker = () =>
    new Worker(new URL('../worker/digest-worker-entry.js', import.meta.url), { type: 'module' }),
): SliceDigester {
  let worker: Worker | undefined
  let unavailable = false
  let nextId = 1
  const waiting = new Map<number, (reply: DigestReply | undefined) => void>()

  const start = (): Worker | undefined => {
    if (worker || unavailable) return worker
    try {
      if (typeof Worker === 'undefined') throw new Error('no Worker here')
      const w = spawn()
      w.addEventListener('message', (e: MessageEvent<DigestReply>) => {
        waiting.get(e.data.id)?.(e.data)
        waiting.delete(e.data.id)
      })
      w.addEventListener('error', () => {
        // The worker failed to load or crashed: fall back to hashing in the node's worker from now on.
        unavailable = true
        worker = undefined
        for (const done of waiting.values()) done(undefined)
        waiting.clear()
      })
      worker = w
    } catch {
      unavailable = true
    }
    return worker
  }

  return {
    async digests(blob, sliceSize, signal) {
      const w = start()
      if (!w) return undefined
      const id = nextId++
      const reply = await new Promise<DigestReply | undefined>((resolve) => {
        waiting.set(id, resolve)
        signal?.addEventListener('abort', () => resolve(undefined), { once: true })
        w.postMessage({ id, blob, sliceSize } satisfies DigestRequest)
      })
      waiting.delete(id)
      if (!reply || 'error' in reply) return undefined
      const out: Uint8Array[] = []
      for (let at = 0; at < reply.digests.length; at += 32) out.push(reply.digests.subarray(at, at + 32))
      return out
    },
    close() {
      worker?.terminate()
      worker = undefined
      for (const done of waiting.values()) done(undefined)
      waiting.clear()
    },
  }
}
