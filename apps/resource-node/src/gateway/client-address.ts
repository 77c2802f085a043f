import type { IncomingMessage } from 'node:http'
import { isIPv6 } from 'node:net'

/**
 * The group an address's fair share is counted by: an IPv4 address itself (a v4-mapped IPv6 one as
 * IPv4), an IPv6 address its /64 (one subscriber is usually handed a whole /64, and would otherwise
 * claim as many shares as it likes).
 *
 * @example
 * ```ts
 * clientGroup('2001:db8:1:2:aaaa::1') // '2001:db8:1:2::/64'
 * ```
 */
export function clientGroup(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
  if (mapped) return mapped[1] as string
  if (!isIPv6(address)) return address
  const prefix = ipv6Groups(address)
    .slice(0, 4)
    .map((g) => Number.parseInt(g, 16).toString(16))
  return `${prefix.join(':')}::/64`
}

/** The eight groups of an IPv6 address (valid, per `isIPv6`), `::` expanded and an IPv4 tail as two. */
function ipv6Groups(address: string): string[] {
  let text = (address.split('%')[0] as string).toLowerCase()
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text)
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number]
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
  }
  const [head = '', tail] = text.split('::')
  const front = head === '' ? [] : head.split(':')
  if (tail === undefined) return front
  const back = tail === '' ? [] : tail.split(':')
  return [...front, ...Array<string>(8 - front.length - back.length).fill('0'), ...back]
}

/**
 * Who sent a request, for fair shares: the group ({@link clientGroup}) of its remote address, or, with
 * `trustProxy` (the node sits behind a reverse proxy that appends the client's address), of the last
 * address in X-Forwarded-For: the one the proxy added, which a client cannot forge.
 *
 * @example
 * ```ts
 * const client = clientOf(req, true)
 * ```
 */
export function clientOf(req: IncomingMessage, trustProxy = false): string {
  if (trustProxy) {
    const header = req.headers['x-forwarded-for']
    const list = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',')
    const last = list.at(-1)?.trim()
    if (last) return clientGroup(last)
  }
  return clientGroup(req.socket.remoteAddress ?? '')
}
