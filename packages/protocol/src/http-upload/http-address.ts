/**
 * A resource node's HTTP endpoint written as a multiaddr (`/ip4/10.0.0.1/tcp/7480/http`,
 * `/dns4/node.example/tcp/443/tls/http`), so it travels in the same address lists as its libp2p
 * addresses (index announcements, provider records) and clients can find where to upload.
 */
import { InvalidArgumentError } from '@stratos-edge/core'

const HOST_PROTOCOLS = new Set(['ip4', 'ip6', 'dns', 'dns4', 'dns6'])

/**
 * The multiaddr of an `http:` or `https:` base URL (path, query and credentials are not allowed).
 *
 * @example
 * ```ts
 * httpUrlToMultiaddr('http://127.0.0.1:7480') // '/ip4/127.0.0.1/tcp/7480/http'
 * httpUrlToMultiaddr('https://node.example') // '/dns/node.example/tcp/443/tls/http'
 * ```
 */
export function httpUrlToMultiaddr(url: string): string {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    throw new InvalidArgumentError(`Not a URL: ${JSON.stringify(url)}`, 'Pass an http(s) base URL')
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new InvalidArgumentError(`Not an http(s) URL: ${url}`, 'Pass an http(s) base URL')
  }
  if ((u.pathname !== '/' && u.pathname !== '') || u.search || u.hash || u.username || u.password) {
    throw new InvalidArgumentError(`Not a base URL: ${url}`, 'Pass scheme, host and port only')
  }
  const tls = u.protocol === 'https:'
  const port = u.port || (tls ? '443' : '80')
  const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname
  const hostPart = host.includes(':')
    ? `/ip6/${host}`
    : /^\d{1,3}(\.\d{1,3}){3}$/.test(host)
      ? `/ip4/${host}`
      : `/dns/${host}`
  return `${hostPart}/tcp/${port}${tls ? '/tls/http' : '/http'}`
}

/**
 * The base URL of an HTTP multiaddr, or undefined when `addr` is not one (e.g. a libp2p address).
 *
 * @example
 * ```ts
 * multiaddrToHttpUrl('/ip4/127.0.0.1/tcp/7480/http') // 'http://127.0.0.1:7480'
 * multiaddrToHttpUrl('/ip4/127.0.0.1/tcp/7402/ws/p2p/12D3…') // undefined
 * ```
 */
export function multiaddrToHttpUrl(addr: string): string | undefined {
  const parts = addr.split('/')
  if (parts[0] !== '' || parts.length < 6) return undefined
  const [, proto, host, tcp, port, ...rest] = parts as [string, string, string, string, string, ...string[]]
  if (!HOST_PROTOCOLS.has(proto) || tcp !== 'tcp' || !/^\d{1,5}$/.test(port) || Number(port) > 65535)
    return undefined
  const tail = rest.join('/')
  const scheme = tail === 'http' ? 'http' : tail === 'tls/http' || tail === 'https' ? 'https' : undefined
  if (!scheme || host === '') return undefined
  const hostText = proto === 'ip6' ? `[${host}]` : host
  const defaultPort = scheme === 'https' ? '443' : '80'
  return `${scheme}://${hostText}${port === defaultPort ? '' : `:${port}`}`
}

/** The first HTTP endpoint in a list of multiaddrs, as a base URL. */
export function findHttpUrl(multiaddrs: readonly string[]): string | undefined {
  for (const a of multiaddrs) {
    const url = multiaddrToHttpUrl(a)
    if (url) return url
  }
  return undefined
}

/** True for addresses libp2p can dial (everything but the HTTP endpoints above). */
export function isLibp2pAddress(addr: string): boolean {
  return multiaddrToHttpUrl(addr) === undefined
}
