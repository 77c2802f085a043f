/**
 * A helper worker the node's worker starts for uploads: it receives the file's chunks as the node's
 * worker reads them for the file hash (moved, not copied) and returns the inner digest of every slice
 * (Keccak-256 of slice number ‖ bytes), on another core. Once the file hash is known each slice hash is
 * one cheap step away, so the upload pass does no hashing (see `slice-digests.ts`).
 */
import { createKeccakStream, type KeccakStream, sliceNumberPrefix } from '@stratos-edge/core'
import type { DigestReply, DigestRequest } from '../node/slice-digests.js'

const scope = globalThis as unknown as {
  addEventListener(type: 'message', listener: (event: MessageEvent<DigestRequest>) => void): void
  postMessage(message: DigestReply, transfer?: Transferable[]): void
}

interface Session {
  sliceSize: number
  keccak: Promise<KeccakStream>
  number: number
  filled: number
  digests: Uint8Array[]
  /** Chunks are hashed in order, one after another. */
  queue: Promise<void>
}

const sessions = new Map<number, Session>()

function cut(s: Session, keccak: KeccakStream): void {
  s.digests.push(keccak.digest())
  s.number += 1
  s.filled = 0
  keccak.reset()
  keccak.update(sliceNumberPrefix(s.number))
}

scope.addEventListener('message', (event) => {
  const msg = event.data
  if (msg.type === 'begin') {
    const keccak = createKeccakStream().then((k) => {
      k.reset()
      k.update(sliceNumberPrefix(1))
      return k
    })
    sessions.set(msg.id, {
      sliceSize: msg.sliceSize,
      keccak,
      number: 1,
      filled: 0,
      digests: [],
      queue: keccak.then(),
    })
    return
  }
  const s = sessions.get(msg.id)
  if (!s) return
  s.queue = s.queue.then(async () => {
    const keccak = await s.keccak
    if (msg.type === 'chunk') {
      const chunk = new Uint8Array(msg.chunk)
      let at = 0
      while (at < chunk.length) {
        const take = Math.min(s.sliceSize - s.filled, chunk.length - at)
        keccak.update(chunk.subarray(at, at + take))
        s.filled += take
        at += take
        if (s.filled === s.sliceSize) cut(s, keccak)
      }
      scope.postMessage({ id: msg.id, ack: true }) // one chunk done: the sender may send another
      return
    }
    // end: the last, partial slice (or the one empty slice of an empty file)
    sessions.delete(msg.id)
    if (s.filled > 0 || s.digests.length === 0) cut(s, keccak)
    const digests = new Uint8Array(s.digests.length * 32)
    for (const [i, d] of s.digests.entries()) digests.set(d, i * 32)
    scope.postMessage({ id: msg.id, digests }, [digests.buffer])
  })
  s.queue.catch((err: unknown) => {
    sessions.delete(msg.id)
    scope.postMessage({ id: msg.id, error: String((err as Error)?.message ?? err) })
  })
})
