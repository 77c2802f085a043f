import { describe, expect, it } from 'vitest'
import { ProxyDataChannel } from '../src/rtc/rtc-stand-in.js'

/** A minimal real-channel double: an EventTarget with the RTCDataChannel fields the proxy forwards. */
class FakeChannel extends EventTarget {
  readyState: RTCDataChannelState = 'connecting'
  bufferedAmount = 0
  bufferedAmountLowThreshold = 0
  binaryType: BinaryType = 'blob'
  id = 7
  sent: unknown[] = []
  closed = false
  onopen: ((e: Event) => void) | null = null
  onclose: ((e: Event) => void) | null = null
  onclosing: ((e: Event) => void) | null = null
  onerror: ((e: Event) => void) | null = null
  onmessage: ((e: MessageEvent) => void) | null = null
  onbufferedamountlow: ((e: Event) => void) | null = null
  send(data: unknown) {
    this.sent.push(data)
  }
  close() {
    this.closed = true
  }
}

describe('ProxyDataChannel', () => {
  it('is connecting with a null id until the real channel arrives, then forwards to it', () => {
    const proxy = new ProxyDataChannel('', {})
    proxy.binaryType = 'arraybuffer'
    proxy.bufferedAmountLowThreshold = 1234
    expect(proxy.readyState).toBe('connecting')
    expect(proxy.id).toBeNull()
    expect(() => proxy.send(new Uint8Array(1))).toThrow()
    const real = new FakeChannel()
    proxy.attach(real as unknown as RTCDataChannel)
    expect(real.binaryType).toBe('arraybuffer')
    expect(real.bufferedAmountLowThreshold).toBe(1234)
    expect(proxy.id).toBe(7)
    real.bufferedAmount = 99
    expect(proxy.bufferedAmount).toBe(99)
    proxy.send(new Uint8Array([1, 2]))
    expect(real.sent).toHaveLength(1)
  })

  it('re-fires open to handlers and listeners, and passes messages to onmessage', () => {
    const proxy = new ProxyDataChannel('x')
    const real = new FakeChannel()
    proxy.attach(real as unknown as RTCDataChannel)
    const seen: string[] = []
    proxy.onopen = () => seen.push('onopen')
    proxy.addEventListener('open', () => seen.push('listener'))
    proxy.onmessage = (e) => seen.push(`message:${(e as MessageEvent).data}`)
    real.readyState = 'open'
    real.onopen?.(new Event('open'))
    real.onmessage?.(new MessageEvent('message', { data: 'hi' }))
    expect(seen).toEqual(['onopen', 'listener', 'message:hi'])
    expect(proxy.readyState).toBe('open')
  })

  it('holds a close requested before arrival and applies it on arrival', () => {
    const proxy = new ProxyDataChannel('')
    proxy.close()
    const real = new FakeChannel()
    proxy.attach(real as unknown as RTCDataChannel)
    expect(real.closed).toBe(true)
  })

  it('reports a channel the page could not create as closed with an error', () => {
    const proxy = new ProxyDataChannel('')
    const events: string[] = []
    proxy.addEventListener('error', () => events.push('error'))
    proxy.addEventListener('close', () => events.push('close'))
    proxy.fail('Peer connection is closed')
    expect(events).toEqual(['error', 'close'])
    expect(proxy.readyState).toBe('closed')
  })
})
