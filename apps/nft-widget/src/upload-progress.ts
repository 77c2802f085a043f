/** Turns the light node's upload progress into what a creator reads: bytes, rate and time left. */
import type { PutProgress } from '@stratos-edge/light-node'
import { formatBytes, formatDuration } from './byte-size.js'

/** One progress reading of one file. */
export interface FileProgress {
  /** 0…1 over the whole upload (reading the file counts for the first half, sending for the second). */
  readonly fraction: number
  readonly phase: PutProgress['phase']
  readonly bytes: number
  readonly totalBytes: number
  /** Bytes per second over the last few seconds of this phase. */
  readonly bytesPerSecond: number
  /** Seconds until done, at the current rate (Infinity while unknown). */
  readonly secondsLeft: number
}

/** Window over which the rate is averaged. */
const RATE_WINDOW_MS = 3000

/** Tracks one file's progress readings; `now` is injectable for tests. */
export function createProgressTracker(now: () => number = () => performance.now()) {
  let samples: { t: number; work: number }[] = []
  let phase: PutProgress['phase'] | undefined
  return {
    /** Adds a reading and returns what to show. */
    update(p: PutProgress): FileProgress {
      const total = Math.max(1, p.totalBytes)
      // Work units: hashing is the first pass over the file, storing/pushing the second.
      const work = p.phase === 'hashing' ? p.bytes : p.phase === 'done' ? 2 * total : total + p.bytes
      const t = now()
      if (p.phase !== phase) phase = p.phase
      samples.push({ t, work })
      samples = samples.filter((s) => t - s.t <= RATE_WINDOW_MS)
      const first = samples[0] as { t: number; work: number }
      const dt = (t - first.t) / 1000
      const rate = dt > 0.2 ? (work - first.work) / dt : 0
      const left = 2 * total - work
      return {
        fraction: Math.min(1, work / (2 * total)),
        phase: p.phase,
        bytes: p.bytes,
        totalBytes: p.totalBytes,
        bytesPerSecond: rate,
        secondsLeft: p.phase === 'done' ? 0 : rate > 0 ? left / rate : Number.POSITIVE_INFINITY,
      }
    },
  }
}

const PHASE_WORDS: Record<PutProgress['phase'], string> = {
  hashing: 'Preparing',
  storing: 'Uploading',
  pushing: 'Finishing',
  done: 'Stored',
}

/** One line for a progress row: "Uploading 3.2 MB of 10 MB · 1.1 MB/s · 7 s left". */
export function describeProgress(p: FileProgress): string {
  const parts = [`${PHASE_WORDS[p.phase]} ${formatBytes(p.bytes)} of ${formatBytes(p.totalBytes)}`]
  if (p.phase !== 'done' && p.bytesPerSecond > 0) {
    parts.push(`${formatBytes(p.bytesPerSecond)}/s`)
    parts.push(`${formatDuration(p.secondsLeft)} left`)
  }
  return parts.join(' · ')
}
