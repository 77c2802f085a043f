/**
 * Messages between the tab that runs an origin's light node (the leader) and the other tabs of the origin
 * that use it (followers). Announcements go on the origin's BroadcastChannel; each follower's calls go
 * on a BroadcastChannel of its own that only it and the leader join, so one tab's download bytes are not
 * copied to every other tab.
 */
import type { TypedData } from '@stratos-edge/core'
import type { LightNodeEvent } from '../api-types.js'

/** On the origin's channel (`stratos-edge-node:<store name>`). */
export type OriginMessage =
  /** A follower asks who leads. */
  | { t: 'who' }
  /** The leader's node runs (sent when it starts and in answer to `who`). */
  | { t: 'hello'; leader: string; peerId: string }
  /** A follower asks the leader to open its own channel. */
  | { t: 'connect'; leader: string; client: string }
  /** The leader stops its node: its followers' calls end. */
  | { t: 'bye'; leader: string }
  /** An event of the leader's node, for every tab. */
  | { t: 'event'; leader: string; event: LightNodeEvent }

/**
 * What a follower calls; `read`, `cancel` and `abort` name the `open` or `put` call they act on. A `put`
 * with a signer sends the signer's address as its third argument; its wallet stays in the follower's tab,
 * which the leader asks for each signature (`sign`, answered by `signed`). `progress`
 * messages carry the id of the `put` or `open` call they report on.
 */
export type TabMethod =
  | 'stat'
  | 'contribute'
  | 'drop'
  | 'put'
  | 'open'
  | 'read'
  | 'cancel'
  | 'abort'
  /** Owned files; and a withdraw, which like `put` sends its signer's address and asks it to sign. */
  | 'files'
  | 'withdraw'
  // Proof of Traffic; a wallet claim is sent by the follower's own wallet from the leader's `claimPlan`.
  | 'traffic'
  | 'claimPlan'
  | 'claimWithNodeKey'
  /** Binds the leader's node to the follower's wallet, asked to sign over its channel. */
  | 'bindOwner'

/** On a follower's own channel (`<origin channel>:<client id>`). */
export type ClientMessage =
  | { t: 'connected' }
  /** The leader's heartbeat: its page still runs (see `TabServerInit.heartbeatMs`). */
  | { t: 'beat' }
  | { t: 'call'; id: number; method: TabMethod; args: unknown[] }
  | { t: 'result'; id: number; ok: true; value: unknown }
  | { t: 'result'; id: number; ok: false; error: { name: string; message: string } }
  | { t: 'progress'; id: number; progress: unknown }
  /** The leader asks the follower whose `put` (call `id`) it runs to sign for its owner (request `req`). */
  | { t: 'sign'; id: number; req: number; data: TypedData }
  | { t: 'signed'; req: number; ok: true; signature: Uint8Array | string }
  | { t: 'signed'; req: number; ok: false; error: { name: string; message: string } }
  | { t: 'close' }

/** The BroadcastChannel names of one store. */
export function originChannelName(storeName: string): string {
  return `stratos-edge-node:${storeName}`
}
