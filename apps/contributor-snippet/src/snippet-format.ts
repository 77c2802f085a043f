/** Decimal byte sizes for the badge (the snippet carries no dependency). */
export function formatBytes(bytes: number): string {
  if (bytes < 1e3) return `${bytes} B`
  const [value, unit] =
    bytes >= 1e9 ? [bytes / 1e9, 'GB'] : bytes >= 1e6 ? [bytes / 1e6, 'MB'] : [bytes / 1e3, 'kB']
  return `${Number(value.toFixed(value >= 100 ? 0 : 1))} ${unit}`
}
