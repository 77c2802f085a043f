import { unlink } from 'node:fs/promises'
import type { Logger } from '../logger.js'
import { renameDurably, tempPath, writeSynced } from './atomic-file.js'
import type { DiskBudget } from './disk-budget.js'
import { STAGED_HEADER_BYTES } from './slice-file-format.js'

/**
 * A slice's bytes written ahead to a temp file of the store, before the slice's hash is known. Pass it to
 * the store's `put` (`staged`), or `discard` it.
 */
export interface StagedSliceFile {
  /** True once the bytes are written and synced; false when the write failed or found no room (never rejects). */
  readonly written: Promise<boolean>
  /** Removes the temp file once its write has finished; does nothing after an adoption. Never rejects. */
  discard(): Promise<void>
}

/** Options of {@link createStagedSliceFiles}. */
export interface StagedSliceFilesInit {
  /** The store's temp directory (same file system as the slice files; emptied at every open). */
  tmpDir: string
  logger?: Logger
}

/** Components of {@link createStagedSliceFiles}. */
export interface StagedSliceFilesComponents {
  budget: Pick<DiskBudget, 'stage' | 'unstage'>
}

/** Staged temp files: written ahead, then adopted as slice files or discarded. */
export interface StagedSliceFiles {
  /**
   * Starts writing `data` in the background to a temp file, room left in front for the slice file
   * header, and syncs it. Its bytes count against the disk budget until adopted or discarded; past the
   * budget nothing is written and `written` is false.
   */
  write(data: Uint8Array): StagedSliceFile
  /** Bytes a staged file still counts in the budget (0 once adopted, discarded, or failed). */
  countedBytes(file: StagedSliceFile): number
  /** Stops counting a file's bytes in the budget (its slice file is counted instead). */
  uncount(file: StagedSliceFile): void
  /**
   * Moves staged bytes into place under `finalPath` with `header` written in front; false (nothing done)
   * when they cannot be used: the write failed, or they were taken already.
   */
  adopt(file: StagedSliceFile, header: Uint8Array, finalPath: string): Promise<boolean>
  /** Resolves when no staged write or removal is under way. */
  idle(): Promise<void>
}

interface StagedState {
  path: string
  done: boolean
  /** Bytes still counted in the budget for this file. */
  bytes: number
}

/**
 * Creates the staged files of a store (the slow part of storing a slice, done while its hash is not
 * known yet: staged uploads). Ones never adopted or discarded are removed with the temp directory at
 * the next open.
 *
 * @example
 * ```ts
 * const staged = createStagedSliceFiles({ tmpDir }, { budget })
 * const file = staged.write(bytes)
 * if (!(await staged.adopt(file, header, finalPath))) await writeFileAtomic(tmpDir, finalPath, [header, bytes])
 * ```
 */
export function createStagedSliceFiles(
  init: StagedSliceFilesInit,
  components: StagedSliceFilesComponents,
): StagedSliceFiles {
  const { tmpDir, logger } = init
  const { budget } = components
  const states = new WeakMap<StagedSliceFile, StagedState>()
  /** Writes and removals in progress. */
  const work = new Set<Promise<unknown>>()
  const track = <T>(p: Promise<T>): Promise<T> => {
    work.add(p)
    const settled = () => work.delete(p)
    p.then(settled, settled)
    return p
  }
  /** Stops counting a staged file's bytes (once). */
  const uncount = (state: StagedState): void => {
    budget.unstage(state.bytes)
    state.bytes = 0
  }

  return {
    write(data) {
      const path = tempPath(tmpDir, '.staged')
      const bytes = STAGED_HEADER_BYTES + data.length
      // Past the budget the bytes are not written ahead: a commit writes them in full, within the
      // budget, or is refused.
      const room = budget.stage(bytes)
      const state: StagedState = { path, done: !room, bytes: room ? bytes : 0 }
      const written = room
        ? track(
            writeSynced(path, 'wx', [data], STAGED_HEADER_BYTES)
              .then(() => true)
              .catch((err: unknown) => {
                logger?.warn('staged slice write failed; its commit will write it in full', { error: err })
                if (!state.done) {
                  state.done = true
                  uncount(state)
                  void unlink(path).catch(() => {})
                }
                return false
              }),
          )
        : Promise.resolve(false)
      const file: StagedSliceFile = {
        written,
        discard() {
          if (state.done) return Promise.resolve()
          state.done = true
          return track(
            written
              .then(() => unlink(path))
              .catch(() => {})
              .finally(() => uncount(state)),
          )
        },
      }
      states.set(file, state)
      return file
    },
    countedBytes(file) {
      return states.get(file)?.bytes ?? 0
    },
    uncount(file) {
      const state = states.get(file)
      if (state) uncount(state)
    },
    async adopt(file, header, finalPath) {
      const state = states.get(file)
      if (!state || state.done) return false
      if (!(await file.written) || state.done) return false
      state.done = true
      try {
        await writeSynced(state.path, 'r+', [header])
        await renameDurably(state.path, finalPath)
      } catch (err) {
        await unlink(state.path).catch(() => {})
        throw err
      } finally {
        uncount(state)
      }
      return true
    },
    async idle() {
      while (work.size > 0) await Promise.allSettled([...work])
    },
  }
}
