/**
 * Messages between the worker's stand-in `RTCPeerConnection` and the page's real one. They travel on
 * the worker's own port (`worker.postMessage`), the only path verified to transfer an RTCDataChannel,
 * tagged with `rtc: true` so other traffic on the port is told apart.
 */

/** Worker → page. */
export type RtcRequest =
  | { rtc: true; op: 'create'; pc: number; config: RTCConfiguration }
  | { rtc: true; op: 'call'; pc: number; id: number; method: RtcAsyncMethod; args: unknown[] }
  | { rtc: true; op: 'createDataChannel'; pc: number; ch: number; label: string; init?: RTCDataChannelInit }
  | { rtc: true; op: 'close'; pc: number }

/** Page → worker. */
export type RtcEvent =
  | { rtc: true; op: 'result'; id: number; ok: true; value: unknown }
  | { rtc: true; op: 'result'; id: number; ok: false; error: { name: string; message: string } }
  | ({ rtc: true; op: 'state'; pc: number } & PeerConnectionStates)
  | { rtc: true; op: 'icecandidate'; pc: number; candidate: RTCIceCandidateInit | null }
  | { rtc: true; op: 'icecandidateerror'; pc: number; errorText: string }
  | { rtc: true; op: 'datachannel'; pc: number; channel: RTCDataChannel }
  | { rtc: true; op: 'channel'; pc: number; ch: number; channel: RTCDataChannel }
  | { rtc: true; op: 'channelfailed'; pc: number; ch: number; error: string }
  | ({ rtc: true; op: 'datachannelport'; pc: number } & BridgedChannelInit)
  | ({ rtc: true; op: 'channelport'; pc: number; ch: number } & BridgedChannelInit)

/** A peer connection's states, sent whole on each change; `event` names the one that changed. */
export interface PeerConnectionStates {
  event: 'connectionstatechange' | 'iceconnectionstatechange' | 'signalingstatechange'
  connectionState: RTCPeerConnectionState
  iceConnectionState: RTCIceConnectionState
  signalingState: RTCSignalingState
}

/** A channel that could not be transferred: its bytes cross `port` (see port-data-channel.ts). */
export interface BridgedChannelInit {
  port: MessagePort
  label: string
  protocol: string
  id: number | null
  readyState: RTCDataChannelState
}

export type RtcAsyncMethod =
  | 'createOffer'
  | 'createAnswer'
  | 'setLocalDescription'
  | 'setRemoteDescription'
  | 'addIceCandidate'

/** True for messages of the RTC bridge. */
export function isRtcMessage(data: unknown): data is RtcRequest | RtcEvent {
  return typeof data === 'object' && data !== null && (data as { rtc?: unknown }).rtc === true
}
