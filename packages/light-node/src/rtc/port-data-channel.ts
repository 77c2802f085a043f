/**
 * The fallback where a browser cannot transfer an RTCDataChannel to a worker (Firefox): the real channel
 * stays on the page and its bytes cross a MessagePort, each message's ArrayBuffer transferred (moved, not
 * copied). {@link bridgeDataChannel} runs on the page; {@link PortDataChannel} is what the worker's libp2p
 * sees, with the RTCDataChannel surface `@libp2p/webrtc` uses.
 */

/** Page → worker messages of a bridged channel. */
type FromPage =
  | { t: 'open'; id: number | null }
  | { t: 'close' }
  | { t: 'closing' }
  | { t: 'error'; message: string }
  | { t: 'message'; data: ArrayBuffer | string }
  | { t: 'sent'; n: number; buffered: number }
  | { t: 'low'; buffered: number }

/** Worker → page messages of a bridged channel. */
type FromWorker =
  | { t: 'send'; data: ArrayBuffer | string }
  | { t: 'close' }
  | { t: 'threshold'; value: number }

/** Page side: forwards a real channel's events and bytes over `port`, and sends what the worker sends. */
export function bridgeDataChannel(channel: RTCDataChannel, port: MessagePort): void {
  channel.binaryType = 'arraybuffer'
  const post = (msg: FromPage, transfer: Transferable[] = []) => port.postMessage(msg, transfer)
  channel.onopen = () => post({ t: 'open', id: channel.id })
  channel.onclose = () => {
    post({ t: 'close' })
    port.close()
  }
  channel.onclosing = () => post({ t: 'closing' })
  channel.onerror = (e) => post({ t: 'error', message: (e as RTCErrorEvent).error?.message ?? 'error' })
  channel.onbufferedamountlow = () => post({ t: 'low', buffered: channel.bufferedAmount })
  channel.onmessage = (e) => {
    const data = e.data as ArrayBuffer | string
    post({ t: 'message', data }, typeof data === 'string' ? [] : [data])
  }
  port.onmessage = (e: MessageEvent<FromWorker>) => {
    const msg = e.data
    switch (msg.t) {
      case 'send': {
        const n = typeof msg.data === 'string' ? msg.data.length : msg.data.byteLength
        try {
          channel.send(msg.data as ArrayBuffer)
        } catch (err) {
          post({ t: 'error', message: (err as Error).message })
        }
        post({ t: 'sent', n, buffered: channel.bufferedAmount })
        return
      }
      case 'close':
        channel.close()
        return
      case 'threshold':
        channel.bufferedAmountLowThreshold = msg.value
        return
      default:
    }
  }
  if (channel.readyState === 'open') post({ t: 'open', id: channel.id })
}

type Handler = ((event: Event) => void) | null

/** Worker side: an RTCDataChannel look-alike whose real channel lives on the page. */
export class PortDataChannel extends EventTarget {
  readonly label: string
  readonly protocol: string
  readyState: RTCDataChannelState
  id: number | null
  binaryType: BinaryType = 'arraybuffer'
  onopen: Handler = null
  onclose: Handler = null
  onclosing: Handler = null
  onerror: Handler = null
  onmessage: ((event: MessageEvent) => void) | null = null
  onbufferedamountlow: Handler = null
  private threshold = 0
  /** Bytes posted to the page and not yet handed to the real channel. */
  private inFlight = 0
  /** The real channel's bufferedAmount as last reported. */
  private pageBuffered = 0

  constructor(
    private readonly port: MessagePort,
    init: { label: string; protocol: string; id: number | null; readyState: RTCDataChannelState },
  ) {
    super()
    this.label = init.label
    this.protocol = init.protocol
    this.id = init.id
    this.readyState = init.readyState
    port.onmessage = (e: MessageEvent<FromPage>) => this.onPage(e.data)
  }

  get bufferedAmount(): number {
    return this.inFlight + this.pageBuffered
  }
  get bufferedAmountLowThreshold(): number {
    return this.threshold
  }
  set bufferedAmountLowThreshold(value: number) {
    this.threshold = value
    this.port.postMessage({ t: 'threshold', value } satisfies FromWorker)
  }

  send(data: string | ArrayBuffer | ArrayBufferView | Blob): void {
    if (this.readyState !== 'open') throw new DOMException('RTCDataChannel is not open', 'InvalidStateError')
    if (typeof data === 'string') {
      this.inFlight += data.length
      this.port.postMessage({ t: 'send', data } satisfies FromWorker)
      return
    }
    if (data instanceof Blob) throw new TypeError('Blob messages are not supported by the port bridge')
    // Move a buffer of exactly these bytes (a copy in the worker when the view does not own its buffer).
    const view =
      data instanceof ArrayBuffer
        ? new Uint8Array(data)
        : new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
    const own = view.byteOffset === 0 && view.byteLength === view.buffer.byteLength ? view : view.slice()
    this.inFlight += own.byteLength
    this.port.postMessage({ t: 'send', data: own.buffer as ArrayBuffer } satisfies FromWorker, [
      own.buffer as ArrayBuffer,
    ])
  }

  close(): void {
    if (this.readyState === 'closed') return
    this.readyState = 'closing'
    this.port.postMessage({ t: 'close' } satisfies FromWorker)
  }

  private fire(handler: Handler, event: Event): void {
    handler?.call(this, event)
    this.dispatchEvent(event)
  }

  private lowered(before: number): void {
    if (before > this.threshold && this.bufferedAmount <= this.threshold) {
      this.fire(this.onbufferedamountlow, new Event('bufferedamountlow'))
    }
  }

  private onPage(msg: FromPage): void {
    switch (msg.t) {
      case 'open':
        this.id = msg.id
        this.readyState = 'open'
        this.fire(this.onopen, new Event('open'))
        return
      case 'closing':
        this.readyState = 'closing'
        this.fire(this.onclosing, new Event('closing'))
        return
      case 'close':
        this.readyState = 'closed'
        this.port.close()
        this.fire(this.onclose, new Event('close'))
        return
      case 'error':
        this.fire(this.onerror, Object.assign(new Event('error'), { error: new Error(msg.message) }))
        return
      case 'message': {
        const event = new MessageEvent('message', { data: msg.data })
        this.onmessage?.call(this, event)
        return
      }
      case 'sent': {
        const before = this.bufferedAmount
        this.inFlight -= msg.n
        this.pageBuffered = msg.buffered
        this.lowered(before)
        return
      }
      case 'low': {
        const before = Math.max(this.bufferedAmount, this.threshold + 1)
        this.pageBuffered = msg.buffered
        this.lowered(before)
        return
      }
      default:
    }
  }
}
