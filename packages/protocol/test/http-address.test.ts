import { describe, expect, it } from 'vitest'
import { findHttpUrl, httpUrlToMultiaddr, isLibp2pAddress, multiaddrToHttpUrl } from '../src/index.js'

describe('HTTP endpoints as multiaddrs', () => {
  it.each([
    ['http://127.0.0.1:7480', '/ip4/127.0.0.1/tcp/7480/http'],
    ['http://10.99.0.1', '/ip4/10.99.0.1/tcp/80/http'],
    ['https://node.example', '/dns/node.example/tcp/443/tls/http'],
    ['https://node.example:8443/', '/dns/node.example/tcp/8443/tls/http'],
    ['http://[::1]:7480', '/ip6/::1/tcp/7480/http'],
  ])('%s ⇄ %s', (url, addr) => {
    expect(httpUrlToMultiaddr(url)).toBe(addr)
    expect(multiaddrToHttpUrl(addr)).toBe(new URL(url).origin)
  })

  it('rejects what is not a base http(s) URL', () => {
    for (const bad of ['ftp://x', 'http://x/path', 'http://x/?q=1', 'http://u:p@x', 'not a url'])
      expect(() => httpUrlToMultiaddr(bad), bad).toThrow(
        expect.objectContaining({ name: 'InvalidArgumentError' }),
      )
  })

  it('tells libp2p addresses from HTTP endpoints', () => {
    const ws = '/ip4/127.0.0.1/tcp/7402/ws/p2p/12D3KooWRFMfRMD7dGSSxTS74ef1WazDJGc9coQR2q3nxCYAoAcW'
    const tcp = '/ip4/127.0.0.1/tcp/7401'
    for (const a of [
      ws,
      tcp,
      '/ip4/1.2.3.4/tcp/99999/http',
      '/ip4/1.2.3.4/udp/80/http',
      '/ip4//tcp/80/http',
    ]) {
      expect(multiaddrToHttpUrl(a), a).toBeUndefined()
      expect(isLibp2pAddress(a)).toBe(true)
    }
    expect(isLibp2pAddress('/ip4/127.0.0.1/tcp/7480/http')).toBe(false)
    expect(findHttpUrl([ws, '/dns4/a.example/tcp/443/tls/http', tcp])).toBe('https://a.example')
    expect(findHttpUrl([ws, tcp])).toBeUndefined()
  })
})
