/**
 * The page side of the RTC bridge with a fake RTCPeerConnection: which way each channel reaches the
 * worker. (Real peer connections are tested in Chromium, e2e/tests/light-node.test.ts.)
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type RtcHostPort, startRtcHost } from '../src/rtc/rtc-host.js'
import type { RtcEvent } from '../src/rtc/rtc-messages.js'

class FakeChannel {
  readyState: RTCDataChannelState = 'connecting'
  binaryType = 'blob'
  bufferedAmount = 0
  id = 1
  constructor(
    readonly label: string,
    readonly protocol = '',
  ) {}
  close() {}
}

class FakePeerConnection {
  connectionState = 'new'
  createDataChannel(label: string, init?: RTCDataChannelInit) {
    return new FakeChannel(label, init?.protocol)
  }
  close() {
    this.connectionState = 'closed'
  }
}

/** The worker's end: records posts; with `cannotTransfer`, a transfer list holding a channel throws. */
class FakeWorkerPort implements RtcHostPort {
  posted: RtcEvent[] = []
  cannotTransfer = false
  private listener: ((event: MessageEvent) => void) | undefined
  postMessage(message: RtcEvent, transfer: Transferable[] = []): void {
    if (this.cannotTransfer && transfer.some((t) => t instanceof FakeChannel))
      throw new DOMException('RTCDataChannel cannot be transferred', 'DataCloneError')
    this.posted.push(message)
  }
  addEventListener(_type: 'message', listener: (event: MessageEvent) => void): void {
    this.listener = listener
  }
  removeEventListener(): void {
    this.listener = undefined
  }
  send(data: unknown): void {
    this.listener?.(new MessageEvent('message', { data }))
  }
}

const g = globalThis as Record<string, unknown>
let saved: unknown
beforeEach(() => {
  saved = g.RTCPeerConnection
  g.RTCPeerConnection = FakePeerConnection
})
afterEach(() => {
  g.RTCPeerConnection = saved
})

function dialOneChannel(port: FakeWorkerPort): RtcEvent | undefined {
  port.send({ rtc: true, op: 'create', pc: 1, config: {} })
  port.send({ rtc: true, op: 'createDataChannel', pc: 1, ch: 5, label: '', init: { protocol: 'p' } })
  return port.posted.find((m) => m.op === 'channel' || m.op === 'channelport' || m.op === 'channelfailed')
}

describe('startRtcHost: channels this node creates', () => {
  it('transfers them by default', () => {
    const port = new FakeWorkerPort()
    const host = startRtcHost(port)
    expect(dialOneChannel(port)?.op).toBe('channel')
    host.close()
  })

  it("bridges them over a MessagePort with channelTransfer: 'port'", () => {
    const port = new FakeWorkerPort()
    const host = startRtcHost(port, { channelTransfer: 'port' })
    const msg = dialOneChannel(port)
    expect(msg?.op).toBe('channelport')
    if (msg?.op !== 'channelport') return
    expect(msg.ch).toBe(5)
    expect(msg.protocol).toBe('p')
    expect(msg.port).toBeInstanceOf(MessagePort)
    msg.port.close()
    host.close()
  })

  it('bridges them when the transfer throws', () => {
    const port = new FakeWorkerPort()
    port.cannotTransfer = true
    const host = startRtcHost(port)
    const msg = dialOneChannel(port)
    expect(msg?.op).toBe('channelport')
    if (msg?.op === 'channelport') msg.port.close()
    host.close()
  })

  it('closes its peer connections on close()', () => {
    const port = new FakeWorkerPort()
    const host = startRtcHost(port)
    port.send({ rtc: true, op: 'create', pc: 1, config: {} })
    expect(host.size).toBe(1)
    host.close()
    expect(host.size).toBe(0)
  })
})
