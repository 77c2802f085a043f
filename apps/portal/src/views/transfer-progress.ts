/** Progress of an upload or a download as one line: bytes, rate, time left. */
import { formatBytes, formatDuration, formatRate } from '../format.ts'

/** A transfer's progress at one moment. */
export interface TransferState {
  label: string
  bytes: number
  totalBytes: number
  startedAt: number
  /** Set by the caller from the clock; the rate is averaged since `startedAt`. */
  now: number
}

export function describeProgress(t: TransferState): string {
  const seconds = (t.now - t.startedAt) / 1000
  const rate = seconds > 0 ? t.bytes / seconds : 0
  const left = rate > 0 ? (t.totalBytes - t.bytes) / rate : Number.NaN
  return `${t.label}: ${formatBytes(t.bytes)} of ${formatBytes(t.totalBytes)} · ${rate > 0 ? formatRate(rate) : '—'} · ${formatDuration(left)} left`
}
