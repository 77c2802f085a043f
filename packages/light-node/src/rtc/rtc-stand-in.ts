/**
 * Worker side of the RTC bridge: a stand-in `RTCPeerConnection` (plus `RTCSessionDescription` and
 * `RTCIceCandidate`) whose real object lives on the page. `@libp2p/webrtc` copies these globals when its
 * module loads, so {@link installRtcStandIn} must run before libp2p is imported (dynamic `import()`).
 *
 * Data channels never pass bytes through the page: the page transfers each real RTCDataChannel to the
 * worker in the same task that created or received it. A channel created here is returned at once as a
 * {@link ProxyDataChannel} that forwards to the real one when it arrives a moment later.
 */
import { PortDataChannel } from './port-data-channel.js'
import type { RtcAsyncMethod, RtcEvent, RtcRequest } from './rtc-messages.js'
import { isRtcMessage } from './rtc-messages.js'

/** Where the stand-in posts requests and receives events: the worker's global scope. */
export interface RtcPort {
  postMessage(message: RtcRequest): void
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void
}

type Handler = ((event: Event) => void) | null

/** Copies `on<type>` handler semantics onto an EventTarget. */
function fire(target: EventTarget, handler: Handler, event: Event): void {
  handler?.call(target, event)
  target.dispatchEvent(event)
}

function plainEvent<T extends object>(type: string, fields: T): Event & T {
  return Object.assign(new Event(type), fields)
}

/**
 * The object `createDataChannel` returns synchronously; forwards to the real channel once transferred.
 * Messages cannot arrive before the real channel does (its events start in this worker), and `send`
 * is only called by libp2p after `open`, which only the real channel fires.
 */
export class ProxyDataChannel extends EventTarget {
  readonly label: string
  readonly protocol: string
  readonly ordered: boolean
  real: RTCDataChannel | undefined
  onopen: Handler = null
  onclose: Handler = null
  onerror: Handler = null
  onmessage: Handler = null
  onbufferedamountlow: Handler = null
  onclosing: Handler = null
  private _binaryType: BinaryType = 'arraybuffer'
  private _threshold = 0
  private closeRequested = false
  private failed = false

  constructor(label: string, init: RTCDataChannelInit = {}) {
    super()
    this.label = label
    this.protocol = init.protocol ?? ''
    this.ordered = init.ordered ?? true
  }

  get id(): number | null {
    return this.real?.id ?? null
  }
  get readyState(): RTCDataChannelState {
    if (this.failed) return 'closed'
    return this.real?.readyState ?? 'connecting'
  }
  get bufferedAmount(): number {
    return this.real?.bufferedAmount ?? 0
  }
  get bufferedAmountLowThreshold(): number {
    return this.real?.bufferedAmountLowThreshold ?? this._threshold
  }
  set bufferedAmountLowThreshold(value: number) {
    this._threshold = value
    if (this.real) this.real.bufferedAmountLowThreshold = value
  }
  get binaryType(): BinaryType {
    return this.real?.binaryType ?? this._binaryType
  }
  set binaryType(value: BinaryType) {
    this._binaryType = value
    if (this.real) this.real.binaryType = value
  }

  send(data: string | ArrayBuffer | ArrayBufferView | Blob): void {
    if (!this.real) throw new DOMException('RTCDataChannel is not open yet', 'InvalidStateError')
    this.real.send(data as ArrayBuffer)
  }

  close(): void {
    if (this.real) this.real.close()
    else this.closeRequested = true
  }

  /** Called when the page's real channel arrives. */
  attach(real: RTCDataChannel): void {
    this.real = real
    real.binaryType = this._binaryType
    real.bufferedAmountLowThreshold = this._threshold
    real.onopen = (e) => fire(this, this.onopen, plainEvent(e.type, {}))
    real.onclose = (e) => fire(this, this.onclose, plainEvent(e.type, {}))
    real.onclosing = (e) => fire(this, this.onclosing, plainEvent(e.type, {}))
    real.onerror = (e) => fire(this, this.onerror, plainEvent(e.type, { error: (e as RTCErrorEvent).error }))
    real.onbufferedamountlow = (e) => fire(this, this.onbufferedamountlow, plainEvent(e.type, {}))
    real.onmessage = (e) => {
      // The common case (libp2p sets onmessage, adds no message listener) passes the event straight on.
      this.onmessage?.call(this, e)
    }
    if (this.closeRequested) real.close()
    else if (real.readyState === 'open') fire(this, this.onopen, new Event('open'))
  }

  /** Called when the page could not create the channel. */
  fail(reason: string): void {
    this.failed = true
    fire(this, this.onerror, plainEvent('error', { error: new Error(reason) }))
    fire(this, this.onclose, new Event('close'))
  }
}

interface Pending {
  resolve(value: unknown): void
  reject(err: Error): void
}

/** Shared state of one installed stand-in. */
class RtcBridge {
  private nextPc = 1
  private nextCall = 1
  private nextChannel = 1
  readonly peers = new Map<number, StandInPeerConnection>()
  readonly calls = new Map<number, Pending>()
  readonly channels = new Map<number, ProxyDataChannel>()
  /** Peer connections created and not yet closed (for tests and stats). */
  opened = 0

  constructor(readonly port: RtcPort) {
    port.addEventListener('message', (event) => {
      if (isRtcMessage(event.data)) this.onEvent(event.data as RtcEvent)
    })
  }

  pcId(): number {
    return this.nextPc++
  }
  channelId(): number {
    return this.nextChannel++
  }

  call(pc: number, method: RtcAsyncMethod, args: unknown[]): Promise<unknown> {
    const id = this.nextCall++
    return new Promise((resolve, reject) => {
      this.calls.set(id, { resolve, reject })
      this.port.postMessage({ rtc: true, op: 'call', pc, id, method, args })
    })
  }

  private onEvent(msg: RtcEvent): void {
    switch (msg.op) {
      case 'result': {
        const pending = this.calls.get(msg.id)
        this.calls.delete(msg.id)
        if (!pending) return
        if (msg.ok) pending.resolve(msg.value)
        else pending.reject(Object.assign(new Error(msg.error.message), { name: msg.error.name }))
        return
      }
      case 'channel': {
        const proxy = this.channels.get(msg.ch)
        this.channels.delete(msg.ch)
        proxy?.attach(msg.channel)
        return
      }
      case 'channelport': {
        const proxy = this.channels.get(msg.ch)
        this.channels.delete(msg.ch)
        proxy?.attach(new PortDataChannel(msg.port, msg) as unknown as RTCDataChannel)
        return
      }
      case 'channelfailed': {
        const proxy = this.channels.get(msg.ch)
        this.channels.delete(msg.ch)
        proxy?.fail(msg.error)
        return
      }
      default:
        this.peers.get(msg.pc)?.onBridgeEvent(msg)
    }
  }
}

let bridge: RtcBridge | undefined

class StandInIceCandidate {
  readonly candidate: string
  readonly sdpMid: string | null
  readonly sdpMLineIndex: number | null
  readonly usernameFragment: string | null

  constructor(init: RTCIceCandidateInit = {}) {
    this.candidate = init.candidate ?? ''
    this.sdpMid = init.sdpMid ?? null
    this.sdpMLineIndex = init.sdpMLineIndex ?? null
    this.usernameFragment = init.usernameFragment ?? null
  }

  toJSON(): RTCIceCandidateInit {
    return {
      candidate: this.candidate,
      sdpMid: this.sdpMid,
      sdpMLineIndex: this.sdpMLineIndex,
      usernameFragment: this.usernameFragment,
    }
  }
}

class StandInSessionDescription {
  readonly type: RTCSdpType
  readonly sdp: string

  constructor(init: RTCSessionDescriptionInit) {
    this.type = init.type
    this.sdp = init.sdp ?? ''
  }

  toJSON(): RTCSessionDescriptionInit {
    return { type: this.type, sdp: this.sdp }
  }
}

function plainDescription(d: unknown): RTCSessionDescriptionInit | undefined {
  if (d == null) return undefined
  const desc = d as RTCSessionDescriptionInit
  return { type: desc.type, sdp: desc.sdp ?? '' }
}

/** The worker's `RTCPeerConnection`. */
class StandInPeerConnection extends EventTarget {
  /** Marks the stand-in (class names do not survive minification). */
  static readonly stratosEdgeStandIn = true
  readonly #id: number
  readonly #bridge: RtcBridge
  connectionState: RTCPeerConnectionState = 'new'
  /** Kept in sync from the page's peer connection, like {@link connectionState}. */
  iceConnectionState: RTCIceConnectionState = 'new'
  signalingState: RTCSignalingState = 'stable'
  onconnectionstatechange: Handler = null
  oniceconnectionstatechange: Handler = null
  onsignalingstatechange: Handler = null
  ondatachannel: ((event: RTCDataChannelEvent) => void) | null = null
  onicecandidate: ((event: RTCPeerConnectionIceEvent) => void) | null = null
  onicecandidateerror: Handler = null
  #closed = false

  constructor(config: RTCConfiguration = {}) {
    super()
    if (!bridge) throw new Error('RTC stand-in is not installed')
    this.#bridge = bridge
    this.#id = bridge.pcId()
    bridge.peers.set(this.#id, this)
    bridge.opened++
    bridge.port.postMessage({ rtc: true, op: 'create', pc: this.#id, config: structuredCloneable(config) })
  }

  createDataChannel(label: string, init?: RTCDataChannelInit): ProxyDataChannel {
    const proxy = new ProxyDataChannel(label, init)
    const ch = this.#bridge.channelId()
    this.#bridge.channels.set(ch, proxy)
    this.#bridge.port.postMessage({ rtc: true, op: 'createDataChannel', pc: this.#id, ch, label, init })
    return proxy
  }

  async createOffer(): Promise<RTCSessionDescriptionInit> {
    return (await this.#bridge.call(this.#id, 'createOffer', [])) as RTCSessionDescriptionInit
  }
  async createAnswer(): Promise<RTCSessionDescriptionInit> {
    return (await this.#bridge.call(this.#id, 'createAnswer', [])) as RTCSessionDescriptionInit
  }
  async setLocalDescription(description?: RTCSessionDescriptionInit): Promise<void> {
    await this.#bridge.call(this.#id, 'setLocalDescription', [plainDescription(description)])
  }
  async setRemoteDescription(description: RTCSessionDescriptionInit): Promise<void> {
    await this.#bridge.call(this.#id, 'setRemoteDescription', [plainDescription(description)])
  }
  async addIceCandidate(candidate?: RTCIceCandidateInit | StandInIceCandidate | null): Promise<void> {
    const init =
      candidate == null
        ? undefined
        : candidate instanceof StandInIceCandidate
          ? candidate.toJSON()
          : new StandInIceCandidate(candidate).toJSON()
    await this.#bridge.call(this.#id, 'addIceCandidate', [init])
  }

  close(): void {
    if (this.#closed) return
    this.#closed = true
    // As on a real peer connection, close() changes the states without firing events.
    this.connectionState = 'closed'
    this.iceConnectionState = 'closed'
    this.signalingState = 'closed'
    this.#bridge.opened--
    this.#bridge.port.postMessage({ rtc: true, op: 'close', pc: this.#id })
    this.#bridge.peers.delete(this.#id)
  }

  /** Events forwarded by the page. */
  onBridgeEvent(msg: RtcEvent): void {
    switch (msg.op) {
      case 'state': {
        if (this.#closed) return
        this.connectionState = msg.connectionState
        this.iceConnectionState = msg.iceConnectionState
        this.signalingState = msg.signalingState
        const handler = {
          connectionstatechange: this.onconnectionstatechange,
          iceconnectionstatechange: this.oniceconnectionstatechange,
          signalingstatechange: this.onsignalingstatechange,
        }[msg.event]
        fire(this, handler, new Event(msg.event))
        return
      }
      case 'icecandidate': {
        const candidate = msg.candidate ? new StandInIceCandidate(msg.candidate) : null
        const event = plainEvent('icecandidate', { candidate }) as unknown as RTCPeerConnectionIceEvent
        this.onicecandidate?.call(this, event)
        this.dispatchEvent(event)
        return
      }
      case 'icecandidateerror':
        fire(this, this.onicecandidateerror, plainEvent('icecandidateerror', { errorText: msg.errorText }))
        return
      case 'datachannel':
      case 'datachannelport': {
        const channel = msg.op === 'datachannel' ? msg.channel : new PortDataChannel(msg.port, msg)
        const event = plainEvent('datachannel', { channel }) as unknown as RTCDataChannelEvent
        this.ondatachannel?.call(this, event)
        this.dispatchEvent(event)
        return
      }
      default:
    }
  }
}

function structuredCloneable(config: RTCConfiguration): RTCConfiguration {
  // Certificates and functions cannot cross; libp2p passes plain iceServers and policies.
  const { certificates: _certificates, ...rest } = config
  return JSON.parse(JSON.stringify(rest)) as RTCConfiguration
}

/** Live counts of the stand-in, for stats and tests. */
export function rtcStandInStats(): { peerConnections: number } {
  return { peerConnections: bridge?.peers.size ?? 0 }
}

/**
 * Installs the stand-in as `globalThis.RTCPeerConnection` (and friends) in a worker. Must run before
 * `@libp2p/webrtc` is imported. Does nothing where a real `RTCPeerConnection` exists.
 *
 * @example
 * ```ts
 * installRtcStandIn(self)
 * const { createLibp2p } = await import('libp2p')
 * ```
 */
export function installRtcStandIn(port: RtcPort): boolean {
  const g = globalThis as Record<string, unknown>
  if (typeof g.RTCPeerConnection === 'function' && !bridge) return false
  bridge ??= new RtcBridge(port)
  g.RTCPeerConnection = StandInPeerConnection
  g.RTCSessionDescription = StandInSessionDescription
  g.RTCIceCandidate = StandInIceCandidate
  return true
}
