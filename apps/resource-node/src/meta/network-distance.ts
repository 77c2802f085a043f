/** The IP address in a multiaddr string (`/ip4/…` or `/ip6/…`), if any. */
export function ipOf(multiaddr: string | undefined): string | undefined {
  if (!multiaddr) return undefined
  const m = /\/ip[46]\/([^/]+)/.exec(multiaddr)
  return m?.[1]
}

function ipv4Bits(ip: string): number | undefined {
  const parts = ip.split('.').map(Number)
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return undefined
  return (
    (((parts[0] as number) << 24) |
      ((parts[1] as number) << 16) |
      ((parts[2] as number) << 8) |
      (parts[3] as number)) >>>
    0
  )
}

/**
 * A rough network distance between two observed addresses, 0 (same host) to 64 (unknown): for IPv4 the
 * number of differing prefix bits, so peers in the same subnet sort before peers elsewhere.
 */
export function networkDistance(a: string | undefined, b: string | undefined): number {
  const ipA = ipOf(a)
  const ipB = ipOf(b)
  if (!ipA || !ipB) return 64
  if (ipA === ipB) return 0
  const x = ipv4Bits(ipA)
  const y = ipv4Bits(ipB)
  if (x === undefined || y === undefined) return 48
  const diff = (x ^ y) >>> 0
  return diff === 0 ? 0 : 32 - Math.clz32(diff)
}
