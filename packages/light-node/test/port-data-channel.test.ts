import { describe, expect, it } from 'vitest'
import { bridgeDataChannel, PortDataChannel } from '../src/rtc/port-data-channel.js'

class FakeChannel extends EventTarget {
  readyState: RTCDataChannelState = 'connecting'
  bufferedAmount = 0
  bufferedAmountLowThreshold = 0
  binaryType: BinaryType = 'blob'
  id: number | null = 3
  label = ''
  protocol = ''
  sent: ArrayBuffer[] = []
  onopen: (() => void) | null = null
  onclose: (() => void) | null = null
  onclosing: (() => void) | null = null
  onerror: ((e: Event) => void) | null = null
  onmessage: ((e: MessageEvent) => void) | null = null
  onbufferedamountlow: (() => void) | null = null
  send(data: ArrayBuffer) {
    this.sent.push(data)
  }
  close() {
    this.readyState = 'closed'
    this.onclose?.()
  }
}

const tick = () => new Promise((r) => setTimeout(r, 20))

describe('MessagePort bridge for channels that cannot be transferred', () => {
  it('moves bytes both ways and forwards open, close and the send queue', async () => {
    const real = new FakeChannel()
    const { port1, port2 } = new MessageChannel()
    bridgeDataChannel(real as unknown as RTCDataChannel, port1)
    const worker = new PortDataChannel(port2, { label: '', protocol: '', id: null, readyState: 'connecting' })
    const seen: string[] = []
    worker.onopen = () => seen.push('open')
    worker.onmessage = (e) => seen.push(`message:${new Uint8Array(e.data as ArrayBuffer).join(',')}`)
    worker.onbufferedamountlow = () => seen.push('low')
    worker.onclose = () => seen.push('close')
    worker.bufferedAmountLowThreshold = 0

    real.readyState = 'open'
    real.onopen?.()
    await tick()
    expect(worker.readyState).toBe('open')
    expect(worker.id).toBe(3)

    const big = new Uint8Array(100).fill(7)
    worker.send(big.subarray(10, 20))
    expect(worker.bufferedAmount).toBe(10)
    await tick()
    expect(real.sent).toHaveLength(1)
    expect(new Uint8Array(real.sent[0] as ArrayBuffer)).toEqual(new Uint8Array(10).fill(7))
    // The page reported bufferedAmount 0 after sending: the worker's queue drained, so it fired low.
    expect(worker.bufferedAmount).toBe(0)

    const incoming = new Uint8Array([1, 2, 3]).buffer
    real.onmessage?.(new MessageEvent('message', { data: incoming }))
    await tick()
    worker.close()
    await tick()
    expect(seen).toEqual(['open', 'low', 'message:1,2,3', 'close'])
    expect(worker.readyState).toBe('closed')
  })
})
