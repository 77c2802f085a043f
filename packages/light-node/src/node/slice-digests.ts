/**
 * Slice digests computed beside the file hash. An upload must hash every byte twice: into the file hash,
 * and into its slice's hash, which needs the file hash first. Done in one thread that is two sequential
 * passes; here the node's worker reads the file once, hashes each chunk into the file hash and then moves
 * it to a helper worker, which hashes it into its slice's digest on another core. The upload pass then
 * only finishes each slice hash (one 22-byte Keccak).
 */
import { type FileHash, hashFile } from '@stratos-edge/core'

/** A message to the digest worker. */
export type DigestRequest =
  | { type: 'begin'; id: number; sliceSize: number }
  | { type: 'chunk'; id: number; chunk: ArrayBuffer }
  | { type: 'end'; id: number }

/** The digest worker's answers: a chunk hashed, the digests (32 bytes per slice, in order), or an error. */
export type DigestReply =
  | { id: number; ack: true }
  | { id: number; digests: Uint8Array }
  | { id: number; error: string }

/** Chunks handed to the helper worker and not yet hashed, at most (bounds memory to a few chunks). */
const CHUNKS_AHEAD = 3
/** The longest wait for the helper's answer before hashing slices in the node's worker instead. */
const DIGEST_TIMEOUT_MS = 60_000

/** Slice digests of one file, fed chunk by chunk. */
export interface DigestSession {
  /**
   * Hands a chunk over (its buffer is moved to the helper worker: do not use it afterwards); resolves
   * once fewer than a few chunks wait there.
   */
  push(chunk: Uint8Array): Promise<void>
  /** The inner digest of every slice, or undefined when the helper worker failed. */
  finish(): Promise<Uint8Array[] | undefined>
}

/** Computes slice digests in a helper worker; one worker, started on first use and kept. */
export interface SliceDigester {
  /** A new session, or undefined when no helper worker can run here (the caller hashes slices itself). */
  start(sliceSize: number): DigestSession | undefined
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
  const acks = new Map<number, () => void>()
  const fail = (): void => {
    // The worker failed to load, crashed or sent what cannot be read: hash slices in the node's worker
    // from now on.
    unavailable = true
    worker?.terminate()
    worker = undefined
    for (const done of waiting.values()) done(undefined)
    waiting.clear()
    for (const go of acks.values()) go()
    acks.clear()
  }

  const load = (): Worker | undefined => {
    if (worker || unavailable) return worker
    try {
      if (typeof Worker === 'undefined') throw new Error('no Worker here')
      const w = spawn()
      w.addEventListener('message', (e: MessageEvent<DigestReply>) => {
        if ('ack' in e.data) return acks.get(e.data.id)?.()
        waiting.get(e.data.id)?.(e.data)
        waiting.delete(e.data.id)
      })
      w.addEventListener('error', fail)
      w.addEventListener('messageerror', fail)
      worker = w
    } catch {
      unavailable = true
    }
    return worker
  }

  return {
    start(sliceSize) {
      const w = load()
      if (!w) return undefined
      const id = nextId++
      const reply = new Promise<DigestReply | undefined>((resolve) => waiting.set(id, resolve))
      let outstanding = 0
      let wake: (() => void) | undefined
      acks.set(id, () => {
        outstanding = Math.max(0, outstanding - 1)
        wake?.()
      })
      w.postMessage({ type: 'begin', id, sliceSize } satisfies DigestRequest)
      return {
        async push(chunk) {
          if (unavailable) return
          const whole = chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength
          const buffer = (whole ? chunk.buffer : chunk.slice().buffer) as ArrayBuffer
          w.postMessage({ type: 'chunk', id, chunk: buffer } satisfies DigestRequest, [buffer])
          outstanding++
          while (outstanding >= CHUNKS_AHEAD && !unavailable) {
            await new Promise<void>((resolve) => {
              wake = resolve
            })
          }
        },
        async finish() {
          if (!unavailable) w.postMessage({ type: 'end', id } satisfies DigestRequest)
          let timer: ReturnType<typeof setTimeout> | undefined
          const r = await Promise.race([
            reply,
            new Promise<undefined>((resolve) => {
              timer = setTimeout(() => resolve(undefined), DIGEST_TIMEOUT_MS)
            }),
          ])
          clearTimeout(timer)
          waiting.delete(id)
          acks.delete(id)
          if (!r || !('digests' in r)) return undefined
          const out: Uint8Array[] = []
          for (let at = 0; at < r.digests.length; at += 32) out.push(r.digests.subarray(at, at + 32))
          return out
        },
      }
    },
    close() {
      fail()
    },
  }
}

/**
 * Hashes a Blob for upload in one read: the file hash here, the slice digests in the helper worker
 * (`undefined` digests when there is none; the caller then hashes each slice itself).
 */
export async function hashBlobForUpload(
  blob: Blob,
  sliceSize: number,
  digester: SliceDigester,
  signal: AbortSignal,
): Promise<{ fileHash: FileHash; digests: Uint8Array[] | undefined }> {
  const session = digester.start(sliceSize)
  const { fileHash } = await hashFile(blob, {
    signal,
    ...(session ? { onChunk: (chunk) => session.push(chunk) } : {}),
  }).catch((err: unknown) => {
    void session?.finish() // ends the helper's session; its answer is not needed
    throw err
  })
  return { fileHash, digests: await session?.finish() }
}
