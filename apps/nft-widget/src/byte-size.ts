/** Byte counts as people write and read them ("50 MB", "1.5 GiB"). */

const UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
}

/**
 * Parses a byte count: a plain number of bytes, or a number with a unit (B, KB, MB, GB, KiB, MiB, GiB).
 * Returns undefined for anything else.
 *
 * @example
 * ```ts
 * parseByteSize('50MB') // 50_000_000
 * parseByteSize('2 MiB') // 2_097_152
 * ```
 */
export function parseByteSize(text: string | null | undefined): number | undefined {
  if (!text) return undefined
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text)
  if (!m) return undefined
  const unit = UNITS[(m[2] || 'b').toLowerCase()]
  if (unit === undefined) return undefined
  return Math.floor(Number(m[1]) * unit)
}

/**
 * Formats a byte count for a creator to read, in decimal units.
 *
 * @example
 * ```ts
 * formatBytes(1_500_000) // '1.5 MB'
 * ```
 */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`
  const units = ['kB', 'MB', 'GB', 'TB']
  let value = bytes / 1000
  let i = 0
  while (value >= 1000 && i < units.length - 1) {
    value /= 1000
    i++
  }
  return `${value >= 100 ? Math.round(value) : Number(value.toFixed(1))} ${units[i]}`
}

/** Formats a duration in seconds as "12 s", "3 min 5 s" or "1 h 2 min". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '…'
  const s = Math.ceil(seconds)
  if (s < 60) return `${s} s`
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`
}
