/**
 * A helper worker the node's worker starts for uploads: it reads a Blob on its own and returns the inner
 * digest of every slice (Keccak-256 of slice number ‖ bytes), while the node's worker hashes the whole
 * file on another core. Once the file hash is known each slice hash is one cheap step away, so the
 * upload pass does no hashing (see `slice-digests.ts`).
 */
import { createKeccakStream, sliceNumberPrefix } from '@stratos-edge/core'
import type { DigestReply, DigestRequest } from '../node/slice-digests.js'

const scope = globalThis as unknown as {
  addEventListener(type: 'message', listener: (event: MessageEvent<DigestRequest>) => void): void
  postMessage(message: DigestReply, transfer?: Transferable[]): void
}

scope.addEventListener('message', async (event) => {
  const { id, blob, sliceSize } = event.data
  try {
    const keccak = await createKeccakStream()
    const count = Math.max(1, Math.ceil(blob.size / sliceSize))
    const digests = new Uint8Array(count * 32)
    const read = (index: number): Promise<ArrayBuffer> => {
      const p = blob.slice(index * sliceSize, Math.min(blob.size, (index + 1) * sliceSize)).arrayBuffer()
      p.catch(() => {})
      return p
    }
    let next = read(0)
    for (let index = 0; index < count; index++) {
      const data = new Uint8Array(await next)
      if (index + 1 < count) next = read(index + 1)
      keccak.reset()
      keccak.update(sliceNumberPrefix(index + 1))
      keccak.update(data)
      digests.set(keccak.digest(), index * 32)
    }
    scope.postMessage({ id, digests }, [digests.buffer])
  } catch (err) {
    scope.postMessage({ id, error: String((err as Error)?.message ?? err) })
  }
})
