/** A byte range [start, end] (inclusive), or `unsatisfiable`, or `undefined` for the whole file. */
export type ParsedRange = { start: number; end: number } | 'unsatisfiable' | undefined

/**
 * Parses a `Range` header for a resource of `size` bytes. Only a single `bytes=` range is honoured; a
 * multi-range or unknown unit is ignored (the whole file is sent, as RFC 9110 allows).
 */
export function parseRange(header: string | undefined, size: number): ParsedRange {
  if (!header) return undefined
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim())
  if (!m) return undefined
  const [, a, b] = m
  if (a === '' && b === '') return undefined
  if (a === '') {
    const n = Number(b)
    // An empty file has no last bytes to give (RFC 9110 §14.1.2): not a 206 of "0--1".
    if (n === 0 || size === 0) return 'unsatisfiable'
    return { start: Math.max(0, size - n), end: size - 1 }
  }
  const start = Number(a)
  const end = b === '' ? size - 1 : Math.min(Number(b), size - 1)
  if (start >= size || start > end) return 'unsatisfiable'
  return { start, end }
}
