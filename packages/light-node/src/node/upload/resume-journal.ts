/**
 * Files whose upload began on this node and did not finish (a cancel, a failure, a closed tab), kept in
 * the store's settings so the list outlives the page. A file found here is not staged when it is chosen
 * again: staging sends slices before their hashes are known, so it cannot skip the slices the network
 * already holds. Hashing first lets the put ask the placed node which slices it lacks and send only
 * those (see held-slices.ts). The list is a hint about speed only: what is skipped is decided by hash.
 */
import { createSettingList, type StoreSettings } from '../../store/setting-list.js'

/** The setting the list is kept under. */
const SETTING = 'unfinished-uploads'

/** Most files remembered; the oldest go first. */
export const MAX_UNFINISHED_UPLOADS = 64

/** How long an unfinished upload is remembered, ms (a week). */
export const UNFINISHED_UPLOAD_TTL_MS = 7 * 24 * 3600 * 1000

/** Edges of {@link createResumeJournal}. */
export interface ResumeJournalComponents {
  settings: StoreSettings
  now?: () => number
}

/**
 * An upload that began and did not finish. Its staged upload (slices sent before their hashes were known,
 * held by the home node for a few minutes) can still be committed once the file is hashed again, with
 * the ticket that paid for it.
 */
export interface UnfinishedUpload {
  readonly uploadId?: string
  /** The ticket the slices were staged with (`0x` hex), when the network needs one. */
  readonly ticket?: string
}

/** Uploads that began and have not finished, by the chosen file's identity. */
export interface ResumeJournal {
  /** What is known of an upload of `file` that began on this node and did not finish, if any. */
  interrupted(file: Blob): Promise<UnfinishedUpload | undefined>
  /**
   * Notes that an upload of `file` begins, with its staged upload if it stages (without one, an earlier
   * attempt's staged upload is kept: it may not have been committed yet).
   */
  begin(file: Blob, staged?: UnfinishedUpload): Promise<void>
  /** Notes that the upload of `file` finished. */
  end(file: Blob): Promise<void>
}

interface Entry extends UnfinishedUpload {
  id: string
  at: number
}

/**
 * A chosen file's identity: its name, size, last modification time and type, hashed (the list holds no
 * file names). Undefined for a Blob that is not a File: it has no identity to be chosen again by.
 */
async function identityOf(file: Blob): Promise<string | undefined> {
  if (typeof File === 'undefined' || !(file instanceof File) || file.name === '') return undefined
  const text = JSON.stringify([file.name, file.size, file.lastModified, file.type])
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)))
  return [...digest.subarray(0, 16)].map((b) => b.toString(16).padStart(2, '0')).join('')
}

/**
 * Creates the journal over the store's settings.
 *
 * @example
 * ```ts
 * const journal = createResumeJournal({ settings: store })
 * const earlier = await journal.interrupted(file) // then do not stage; commit earlier.uploadId
 * await journal.begin(file, { uploadId, ticket })
 * // … upload …
 * await journal.end(file)
 * ```
 */
export function createResumeJournal(components: ResumeJournalComponents): ResumeJournal {
  const now = components.now ?? Date.now
  const journal = createSettingList<Entry>(
    {
      name: SETTING,
      max: MAX_UNFINISHED_UPLOADS,
      maxAgeMs: UNFINISHED_UPLOAD_TTL_MS,
      at: (e) => e.at,
      isRecord: (e): e is Entry =>
        typeof (e as Entry)?.id === 'string' && typeof (e as Entry)?.at === 'number',
    },
    components,
  )
  const update = async (file: Blob, add: boolean, staged?: UnfinishedUpload): Promise<void> => {
    const id = await identityOf(file)
    if (id === undefined) return
    await journal.update((all) => {
      const old = all.find((e) => e.id === id)
      const list = all.filter((e) => e.id !== id)
      const keep = staged?.uploadId ? staged : old
      if (add) {
        list.push({
          id,
          at: now(),
          ...(keep?.uploadId ? { uploadId: keep.uploadId } : {}),
          ...(keep?.uploadId && keep.ticket ? { ticket: keep.ticket } : {}),
        })
      }
      return list
    })
  }
  return {
    async interrupted(file) {
      const id = await identityOf(file)
      if (id === undefined) return undefined
      const e = (await journal.read()).find((e) => e.id === id)
      if (!e) return undefined
      return {
        ...(typeof e.uploadId === 'string' ? { uploadId: e.uploadId } : {}),
        ...(typeof e.ticket === 'string' ? { ticket: e.ticket } : {}),
      }
    },
    begin: (file, staged) => update(file, true, staged),
    end: (file) => update(file, false),
  }
}
