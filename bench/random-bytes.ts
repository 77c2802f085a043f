// Random bench data (random, so that nothing on the way can compress it).

/** `n` random bytes, filled 64 KiB at a time (the most `crypto.getRandomValues` takes at once). */
export function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n)
  for (let o = 0; o < n; o += 65536) crypto.getRandomValues(out.subarray(o, Math.min(n, o + 65536)))
  return out
}
