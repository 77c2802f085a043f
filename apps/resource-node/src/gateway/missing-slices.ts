import type { Manifest } from '@stratos-edge/core'

/**
 * A manifest younger than this (by its `createdAt`), ms, may still have slices whose storing nodes have
 * not announced them (announcements are batched, a second or two behind the manifest): a read waits for
 * them, and is told to come back (503) if they are still missing. An older one will not get them by
 * waiting: its missing slices are answered at once (502).
 */
export const RECENT_MANIFEST_MS = 2 * 60_000

/** Slices of a read checked for providers before its first byte, at most; the rest as they are reached. */
export const MAX_CHECKED_SLICES = 32

/**
 * Whether a file may still be waiting for its slices' announcements. A `createdAt` further in the future
 * than {@link RECENT_MANIFEST_MS} (the uploader's clock, or a lie) counts as old, so no file waits forever.
 */
export function isRecentManifest(manifest: Pick<Manifest, 'createdAt'>, now = Date.now()): boolean {
  return Math.abs(now - manifest.createdAt) < RECENT_MANIFEST_MS
}

/**
 * The 502 body for a file some of whose slices no node can give (JSON): its error's name, what to do,
 * and how many of the checked slices are missing.
 */
export function slicesUnavailableBody(fileHash: string, missing: number, checked: number): string {
  return `${JSON.stringify({
    error: 'SlicesUnavailableError',
    message: `${missing} of ${checked} slices of ${fileHash} are held by no node this gateway can reach`,
    missingSlices: missing,
    hint: 'The file may be held only by browsers, or lost: ask its owner to upload it again',
  })}\n`
}
