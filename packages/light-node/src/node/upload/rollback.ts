/** Undoing a put that failed: owned slices are never evicted, so those of an unfinished upload must go. */
import type { SliceHash } from '@stratos-edge/core'
import type { IdbSliceStore } from '../../store/idb-slice-store.js'

/** What a put has written so far, to undo if it fails. */
export interface UnfinishedPut {
  readonly fileHash: string
  /** The slices of the file's complete record from before this put, if it was stored whole. */
  readonly kept: readonly { readonly hash: SliceHash }[] | undefined
  /** Slices this put queued for storing. */
  readonly added: SliceHash[]
}

/**
 * Removes the owned slices a failed put added: the whole file when it was not stored complete before,
 * else only slices its complete record does not list (a different slice size).
 */
export async function dropUnfinished(store: IdbSliceStore, written: UnfinishedPut): Promise<void> {
  if (!written.kept) {
    await store.dropFile(written.fileHash, { includePinned: true })
    return
  }
  // Queued writes land first, or a slice deleted now would be written after.
  await store.flush().catch(() => {})
  const kept = new Set(written.kept.map((s) => s.hash))
  for (const hash of written.added) if (!kept.has(hash)) await store.delete(hash)
}

/** Whether the store owns, whole, a file of exactly `size` bytes (the only ones a re-upload can be). */
export async function ownsWholeFileOfSize(store: IdbSliceStore, size: number): Promise<boolean> {
  const files = await store.listFiles().catch(() => [])
  return files.some((f) => f.size === size && f.state === 'complete' && f.pinned === 1)
}

/**
 * Whether the store has room for a put of `bytes`: resolves with the quota error, if any. A re-upload
 * of a file this node owns whole needs no new room, which only its hash can tell: a file of that size is
 * hashed before the error counts; for any other `stop` is called at once (it stops the hashing pass).
 */
export function roomFor(store: IdbSliceStore, bytes: number, stop: () => void): Promise<unknown> {
  return store.assertCanStore(bytes).then(
    () => undefined,
    async (err: unknown) => {
      if (!(await ownsWholeFileOfSize(store, bytes))) stop()
      return err
    },
  )
}
