/**
 * Page side of the RTC bridge: owns the real RTCPeerConnections the worker's stand-in asks for. Every
 * data channel, created here for the worker or opened by the remote peer, is transferred to the worker in
 * the same task that creates or receives it, so the page never touches a byte of slice data; where it
 * cannot be transferred (or with `channelTransfer: 'port'`) its bytes cross a MessagePort instead.
 */
import { bridgeDataChannel } from './port-data-channel.js'
import type { PeerConnectionStates, RtcEvent, RtcRequest } from './rtc-messages.js'
import { isRtcMessage } from './rtc-messages.js'

/** A running host; `close()` closes every peer connection (a terminated worker would leave them open). */
export interface RtcHost {
  /** Number of open peer connections. */
  readonly size: number
  close(): void
}

/** Options of {@link startRtcHost}. */
export interface RtcHostOptions {
  /**
   * `transfer` (default): move each RTCDataChannel to the worker, falling back to a MessagePort bridge
   * where the browser cannot; `port`: always bridge (for tests of the fallback).
   */
  channelTransfer?: 'transfer' | 'port'
}

/** What the host needs of the worker. */
export interface RtcHostPort {
  postMessage(message: RtcEvent, transfer?: Transferable[]): void
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void
  removeEventListener(type: 'message', listener: (event: MessageEvent) => void): void
}

function errorOf(err: unknown): { name: string; message: string } {
  const e = err as { name?: string; message?: string }
  return { name: e?.name ?? 'Error', message: e?.message ?? String(err) }
}

/**
 * Serves a worker's stand-in RTCPeerConnection requests with real peer connections.
 *
 * @example
 * ```ts
 * const worker = new Worker(url, { type: 'module' })
 * const host = startRtcHost(worker)
 * ```
 */
export function startRtcHost(port: RtcHostPort, options: RtcHostOptions = {}): RtcHost {
  const peers = new Map<number, RTCPeerConnection>()
  const post = (msg: RtcEvent, transfer?: Transferable[]) => port.postMessage(msg, transfer)
  const forcePort = options.channelTransfer === 'port'

  /** Hands a channel to the worker: transferred when the browser can, else bridged over a MessagePort. */
  const handOver = (channel: RTCDataChannel, pc: number, ch?: number) => {
    if (!forcePort) {
      try {
        if (ch === undefined)
          post({ rtc: true, op: 'datachannel', pc, channel }, [channel as unknown as Transferable])
        else post({ rtc: true, op: 'channel', pc, ch, channel }, [channel as unknown as Transferable])
        return
      } catch {
        // DataCloneError: this browser cannot transfer data channels. Bridge the bytes instead.
      }
    }
    const { port1, port2 } = new MessageChannel()
    bridgeDataChannel(channel, port1)
    const init = {
      port: port2,
      label: channel.label,
      protocol: channel.protocol,
      id: channel.id,
      readyState: channel.readyState,
    }
    if (ch === undefined) post({ rtc: true, op: 'datachannelport', pc, ...init }, [port2])
    else post({ rtc: true, op: 'channelport', pc, ch, ...init }, [port2])
  }

  const onMessage = (event: MessageEvent) => {
    if (!isRtcMessage(event.data)) return
    const msg = event.data as RtcRequest
    switch (msg.op) {
      case 'create': {
        const pcId = msg.pc
        const pc = new RTCPeerConnection(msg.config)
        peers.set(pcId, pc)
        // All three states go with each change, posted before the call result that caused it (a
        // setLocalDescription's signalingstatechange fires before its promise settles), so the stand-in
        // reads the new state as soon as its await returns.
        const postState = (event: PeerConnectionStates['event']) =>
          post({
            rtc: true,
            op: 'state',
            pc: pcId,
            event,
            connectionState: pc.connectionState,
            iceConnectionState: pc.iceConnectionState,
            signalingState: pc.signalingState,
          })
        pc.onconnectionstatechange = () => {
          postState('connectionstatechange')
          if (pc.connectionState === 'closed') peers.delete(pcId)
        }
        pc.oniceconnectionstatechange = () => postState('iceconnectionstatechange')
        pc.onsignalingstatechange = () => postState('signalingstatechange')
        pc.onicecandidate = ({ candidate }) => {
          post({ rtc: true, op: 'icecandidate', pc: pcId, candidate: candidate ? candidate.toJSON() : null })
        }
        pc.onicecandidateerror = (e) => {
          post({
            rtc: true,
            op: 'icecandidateerror',
            pc: pcId,
            errorText: (e as RTCPeerConnectionIceErrorEvent).errorText,
          })
        }
        pc.ondatachannel = ({ channel }) => {
          // Hand over now: after this task the channel is no longer transferable.
          handOver(channel, pcId)
        }
        return
      }
      case 'createDataChannel': {
        const pc = peers.get(msg.pc)
        try {
          if (!pc) throw new Error('Peer connection is closed')
          // Handed over like an incoming channel: transferred, or bridged over a MessagePort with
          // `channelTransfer: 'port'` or where the transfer throws.
          handOver(pc.createDataChannel(msg.label, msg.init), msg.pc, msg.ch)
        } catch (err) {
          post({ rtc: true, op: 'channelfailed', pc: msg.pc, ch: msg.ch, error: errorOf(err).message })
        }
        return
      }
      case 'call': {
        const pc = peers.get(msg.pc)
        if (!pc) {
          post({
            rtc: true,
            op: 'result',
            id: msg.id,
            ok: false,
            error: { name: 'InvalidStateError', message: 'closed' },
          })
          return
        }
        // Called in arrival order, before awaiting anything, so the worker's call order is kept.
        let result: Promise<unknown>
        try {
          const fn = pc[msg.method] as (...args: unknown[]) => Promise<unknown>
          result = Promise.resolve(fn.apply(pc, msg.args))
        } catch (err) {
          result = Promise.reject(err)
        }
        result.then(
          (value) => {
            const plain =
              value && typeof value === 'object' && 'sdp' in value
                ? {
                    type: (value as RTCSessionDescriptionInit).type,
                    sdp: (value as RTCSessionDescriptionInit).sdp,
                  }
                : undefined
            post({ rtc: true, op: 'result', id: msg.id, ok: true, value: plain })
          },
          (err) => post({ rtc: true, op: 'result', id: msg.id, ok: false, error: errorOf(err) }),
        )
        return
      }
      case 'close': {
        peers.get(msg.pc)?.close()
        peers.delete(msg.pc)
        return
      }
      default:
    }
  }
  port.addEventListener('message', onMessage)

  return {
    get size() {
      return peers.size
    },
    close() {
      port.removeEventListener('message', onMessage)
      for (const pc of peers.values()) pc.close()
      peers.clear()
    },
  }
}
