import { describe, expect, it } from 'vitest'
import type { RtcEvent, RtcRequest } from '../src/rtc/rtc-messages.js'
import { installRtcStandIn, ProxyDataChannel } from '../src/rtc/rtc-stand-in.js'

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

/** The page's end of the bridge: records requests, and sends events as the page would. */
class FakePage extends EventTarget {
  requests: RtcRequest[] = []
  postMessage(message: RtcRequest): void {
    this.requests.push(message)
  }
  send(event: RtcEvent): void {
    this.dispatchEvent(new MessageEvent('message', { data: event }))
  }
}

describe('the stand-in RTCPeerConnection', () => {
  it('keeps connectionState, iceConnectionState and signalingState in sync from the page', () => {
    const page = new FakePage()
    installRtcStandIn(page as unknown as Parameters<typeof installRtcStandIn>[0])
    const pc = new (
      globalThis as unknown as { RTCPeerConnection: typeof RTCPeerConnection }
    ).RTCPeerConnection()
    expect(pc.iceConnectionState).toBe('new')
    expect(pc.signalingState).toBe('stable')
    const create = page.requests.find((r) => r.op === 'create')
    expect(create).toBeDefined()
    const id = create?.pc ?? 0
    const seen: string[] = []
    pc.onsignalingstatechange = () => seen.push(`on:signaling:${pc.signalingState}`)
    pc.addEventListener('iceconnectionstatechange', () => seen.push(`ice:${pc.iceConnectionState}`))
    pc.onconnectionstatechange = () => seen.push(`on:connection:${pc.connectionState}`)
    const states = { connectionState: 'new', iceConnectionState: 'new', signalingState: 'stable' } as const
    page.send({
      rtc: true,
      op: 'state',
      pc: id,
      ...states,
      event: 'signalingstatechange',
      signalingState: 'have-local-offer',
    })
    page.send({
      rtc: true,
      op: 'state',
      pc: id,
      event: 'iceconnectionstatechange',
      connectionState: 'connecting',
      iceConnectionState: 'checking',
      signalingState: 'stable',
    })
    page.send({
      rtc: true,
      op: 'state',
      pc: id,
      event: 'connectionstatechange',
      connectionState: 'connected',
      iceConnectionState: 'connected',
      signalingState: 'stable',
    })
    expect(seen).toEqual(['on:signaling:have-local-offer', 'ice:checking', 'on:connection:connected'])
    expect([pc.connectionState, pc.iceConnectionState, pc.signalingState]).toEqual([
      'connected',
      'connected',
      'stable',
    ])
    pc.close()
    expect([pc.connectionState, pc.iceConnectionState, pc.signalingState]).toEqual([
      'closed',
      'closed',
      'closed',
    ])
    expect(page.requests.at(-1)).toEqual({ rtc: true, op: 'close', pc: id })
  })
})
