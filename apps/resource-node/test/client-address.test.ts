import type { IncomingMessage } from 'node:http'
import { describe, expect, it } from 'vitest'
import { clientGroup, clientOf } from '../src/gateway/client-address.js'

const req = (remoteAddress: string, forwarded?: string | string[]) =>
  ({
    socket: { remoteAddress },
    headers: forwarded === undefined ? {} : { 'x-forwarded-for': forwarded },
  }) as unknown as IncomingMessage

describe('client address for fair shares', () => {
  it('groups IPv6 clients by /64, IPv4 (and v4-mapped) by address', () => {
    expect(clientGroup('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64')
    expect(clientGroup('2001:0db8:0001:0002:ffff:1:2:3')).toBe('2001:db8:1:2::/64')
    expect(clientGroup('2001:db8::1')).toBe('2001:db8:0:0::/64')
    expect(clientGroup('::1')).toBe('0:0:0:0::/64')
    expect(clientGroup('fe80::1%eth0')).toBe('fe80:0:0:0::/64')
    expect(clientGroup('64:ff9b::192.0.2.1')).toBe('64:ff9b:0:0::/64')
    expect(clientGroup('::ffff:10.0.0.7')).toBe('10.0.0.7')
    expect(clientGroup('10.0.0.7')).toBe('10.0.0.7')
  })

  it('reads the last X-Forwarded-For hop only when the proxy is trusted', () => {
    // A client may send its own X-Forwarded-For: the proxy appends the address it saw last.
    const behindProxy = req('127.0.0.1', 'forged, 203.0.113.9')
    expect(clientOf(behindProxy)).toBe('127.0.0.1')
    expect(clientOf(behindProxy, true)).toBe('203.0.113.9')
    expect(clientOf(req('127.0.0.1', ['1.1.1.1', '2001:db8:5:6::9']), true)).toBe('2001:db8:5:6::/64')
    expect(clientOf(req('127.0.0.1'), true)).toBe('127.0.0.1')
    expect(clientOf(req('2001:db8:7:8::1'))).toBe('2001:db8:7:8::/64')
  })
})
