/**
 * Where an upload resumes: which of the file's slices the first placed node holds already (an earlier
 * attempt cut short, or anyone's upload of the same bytes), plus the earlier attempt's staged slices,
 * committed now if the home node still holds them. Those slices are not sent again.
 */
import type { FileHash, SliceHash } from '@stratos-edge/core'
import { commitStagedUpload, findHttpUrl } from '@stratos-edge/protocol'
import type { ProviderInfo } from '../network-index.js'
import { findHeldSlices, type HeldSliceNumbers } from './held-slices.js'
import { withHomeFirst } from './placement.js'
import type { UnfinishedUpload } from './resume-journal.js'
import { forwardList } from './slice-uploader.js'

/** What {@link findResumePoint} needs. */
export interface ResumePointInit {
  fileHash: FileHash
  sliceHashes: readonly SliceHash[]
  /** The upload's targets so far (the home node first when this attempt staged). */
  targets: ProviderInfo[]
  placement: ProviderInfo[]
  /** The home node's URL (`gatewayUrl`), if any. */
  home: string | undefined
  copies: number
  /** The earlier attempt of this file, when one did not finish (see resume-journal.ts). */
  earlier: UnfinishedUpload | undefined
  /** Slice numbers this attempt staged (sent already, committed by the caller). */
  staged: readonly number[]
  /**
   * The home node's answer, asked for while the placement was (the caller knows the slice hashes and the
   * home URL before it knows where the file goes): used when the home node is the one to ask.
   */
  heldAtHome?: Promise<HeldSliceNumbers | undefined> | undefined
  signal: AbortSignal
}

/** The targets to upload to and the slice numbers the first one holds. */
export interface ResumePoint {
  targets: ProviderInfo[]
  skip: Set<number>
}

/**
 * Asks the first node (a resumed upload: the home node, where its first attempt staged, and goes there
 * first like that attempt) which slices it holds, and commits the earlier attempt's staged upload.
 */
export async function findResumePoint(init: ResumePointInit): Promise<ResumePoint> {
  const { home, earlier, signal, sliceHashes } = init
  let targets = init.targets
  const resumeAtHome = earlier !== undefined && home !== undefined && init.copies > 0
  const askAt = resumeAtHome ? home : targets[0] && findHttpUrl(targets[0].multiaddrs)
  // With staged slices the first target is the home node too (see withHomeFirst).
  const atHome = resumeAtHome || init.staged.length > 0
  const found = await (atHome && init.heldAtHome
    ? init.heldAtHome
    : findHeldSlices(askAt, sliceHashes, signal))
  if (!found) return { targets, skip: new Set() }
  if (resumeAtHome && init.staged.length === 0)
    targets = withHomeFirst(init.placement, found.peerId, home, init.copies)
  if (found.peerId !== targets[0]?.peerId) return { targets, skip: new Set() }
  // The earlier attempt's staged slices, if the home node still holds them (a few minutes): committed
  // now, with the ticket that paid for them, instead of sent again.
  const recovered =
    earlier?.uploadId && home
      ? await commitStagedUpload(
          home,
          earlier.uploadId,
          {
            fileHash: init.fileHash,
            slices: sliceHashes
              .map((hash, i) => ({ number: i + 1, hash }))
              .filter((s) => !found.numbers.has(s.number)),
            forward: forwardList(targets.slice(1)),
          },
          { signal, ...(earlier.ticket ? { ticket: earlier.ticket } : {}) },
        ).catch(() => undefined)
      : undefined
  const numbers = [...found.numbers, ...(recovered?.stored ?? [])]
  return { targets, skip: new Set(numbers.filter((n) => !init.staged.includes(n))) }
}
