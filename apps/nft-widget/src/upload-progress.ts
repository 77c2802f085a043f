/**
 * Turns the light node's upload progress into what a creator reads: bytes, rate and time left, counted
 * over the bytes really sent (a resumed upload skips the slices the network holds already, and says so).
 */
import type { PutProgress } from '@stratos-edge/light-node'
import { formatBytes, formatDuration } from './byte-size.js'

/** One progress reading of one file. */
export interface FileProgress {
  /** 0…1 over the whole upload (reading the file counts for the first half, sending for the second). */
  readonly fraction: number
  readonly phase: PutProgress['phase']
  /** Bytes of this phase done: read while preparing, sent while uploading. */
  readonly bytes: number
  /** Bytes this phase has to do: the file while preparing, what is not stored yet while uploading. */
  readonly totalBytes: number
  /** Bytes per second over the last few seconds of this phase. */
  readonly bytesPerSecond: number
  /** Seconds until done, at the current rate (Infinity while unknown). */
  readonly secondsLeft: number
  /** Slices of the file the network held already (not sent again), once known. */
  readonly heldSlices?: number
  /** The file's slice count, once known. */
  readonly slices?: number
}

/** Window over which the rate is averaged. */
const RATE_WINDOW_MS = 3000

/** Tracks one file's progress readings; `now` is injectable for tests. */
export function createProgressTracker(now: () => number = () => performance.now()) {
  let samples: { t: number; done: number }[] = []
  let phase: PutProgress['phase'] | undefined
  let last: FileProgress | undefined
  return {
    /** Adds a reading and returns what to show. */
    update(p: PutProgress): FileProgress {
      const total = Math.max(1, p.totalBytes)
      const toSend = Math.max(0, p.totalBytes - (p.heldBytes ?? 0))
      const sending = p.phase !== 'hashing'
      // Each phase has its own measure and rate: bytes read, then bytes sent.
      const done = sending ? (p.sentBytes ?? p.bytes) : p.bytes
      const of = sending ? toSend : p.totalBytes
      const t = now()
      if (p.phase !== phase && (phase === 'hashing' || p.phase === 'hashing')) samples = []
      phase = p.phase
      samples.push({ t, done })
      samples = samples.filter((s) => t - s.t <= RATE_WINDOW_MS)
      const first = samples[0] as { t: number; done: number }
      const dt = (t - first.t) / 1000
      const rate = dt > 0.2 ? (done - first.done) / dt : 0
      // While preparing, the sending still to come is guessed at the same rate.
      const left = sending ? toSend - done : p.totalBytes - done + toSend
      const fraction =
        p.phase === 'done'
          ? 1
          : sending
            ? 0.5 + 0.5 * (toSend > 0 ? Math.min(1, done / toSend) : 1)
            : (0.5 * done) / total
      last = {
        fraction,
        phase: p.phase,
        bytes: done,
        totalBytes: of,
        bytesPerSecond: rate,
        secondsLeft: p.phase === 'done' ? 0 : rate > 0 ? left / rate : Number.POSITIVE_INFINITY,
        ...(p.heldSlices !== undefined && p.slices !== undefined
          ? { heldSlices: p.heldSlices, slices: p.slices }
          : {}),
      }
      return last
    },
    /** The last reading, if any. */
    get last(): FileProgress | undefined {
      return last
    },
  }
}

const PHASE_WORDS: Record<PutProgress['phase'], string> = {
  hashing: 'Preparing',
  storing: 'Uploading',
  pushing: 'Finishing',
  done: 'Stored',
}

/** "41 of 64 slices already stored", or undefined when nothing was held. */
export function describeHeld(p: FileProgress | undefined): string | undefined {
  if (!p?.heldSlices || p.slices === undefined) return undefined
  return `${p.heldSlices} of ${p.slices} slices already stored`
}

/**
 * One line for a progress row: "Uploading 3.2 MB of 10 MB · 1.1 MB/s · 7 s left", with "41 of 64 slices
 * already stored" after the sizes when the upload resumes.
 */
export function describeProgress(p: FileProgress): string {
  const parts = [`${PHASE_WORDS[p.phase]} ${formatBytes(p.bytes)} of ${formatBytes(p.totalBytes)}`]
  const held = describeHeld(p)
  if (held) parts.push(held)
  if (p.phase !== 'done' && p.bytesPerSecond > 0) {
    parts.push(`${formatBytes(p.bytesPerSecond)}/s`)
    parts.push(`${formatDuration(p.secondsLeft)} left`)
  }
  return parts.join(' · ')
}
