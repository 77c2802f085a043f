/**
 * Quantities as the portal shows them. Bytes use the decimal units browsers and disks label sizes with
 * (1 GB = 10^9 bytes), the same units the budget is typed in: "2 GB" given shows as "2 GB".
 */
const UNITS = ['B', 'kB', 'MB', 'GB', 'TB'] as const

/** `1234567` → `1.23 MB`. */
export function formatBytes(bytes: number): string {
  let value = bytes
  let unit = 0
  while (Math.abs(value) >= 1000 && unit < UNITS.length - 1) {
    value /= 1000
    unit++
  }
  if (unit === 0) return `${value} B`
  const text = value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2)
  return `${Number(text)} ${UNITS[unit]}`
}

/** `2500000` → `2.5 MB/s`. */
export function formatRate(bytesPerSecond: number): string {
  return `${formatBytes(Math.round(bytesPerSecond))}/s`
}

/** Seconds left as `45 s`, `3 min 20 s`, `1 h 5 min`; unknown (no rate yet) as `—`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '—'
  const s = Math.ceil(seconds)
  if (s < 60) return `${s} s`
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`
}

/** A count with its noun, singular for one: `1 slice`, `3 slices`. */
export function countOf(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`
}
