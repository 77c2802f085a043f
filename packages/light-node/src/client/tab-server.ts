/**
 * The leader's side of one node per origin: serves the tab's light node to the origin's other tabs over
 * BroadcastChannels (see tab-messages.ts), and forwards the node's events to them.
 */
import { type TypedDataSigner, toEvmAddress } from '@stratos-edge/core'
import type { LightNodeEvent, LightNodeEventMap } from '../api-types.js'
import { errorFromPlain, nodeStopped } from '../errors.js'
import type { LightNode } from './create-light-node.js'
import type { ClientMessage, OriginMessage, TabMethod } from './tab-messages.js'

/** One entry per event type: the compiler rejects a type added to the map but not here. */
const EVENT_TYPES: { readonly [K in keyof LightNodeEventMap]: true } = {
  'peer:connect': true,
  'peer:disconnect': true,
  'slice:served': true,
  'slice:fetched': true,
  'provider:dropped': true,
  'download:progress': true,
  'traffic:ticket-error': true,
  'traffic:settled': true,
}

/** Every event type of a light node (forwarded to the other tabs and redispatched by the origin facade). */
export const LIGHT_NODE_EVENT_TYPES = Object.keys(EVENT_TYPES) as readonly (keyof LightNodeEventMap)[]

/** Options of {@link serveTabs}. */
export interface TabServerInit {
  /** The origin's channel name ({@link originChannelName}). */
  channelName: string
  /** This leader's id (a fresh UUID per leadership). */
  leader: string
  /** Where there is one: tells when a follower's tab is gone (see `TabClientInit.locks`). */
  locks?: LockManager | undefined
  /** Time between heartbeats to each follower; default 1 s (see `TabClientInit.leaderTimeoutMs`). */
  heartbeatMs?: number
}

/** A running server; `close()` tells the followers and stops answering them. */
export interface TabServer {
  close(): void
}

function plainError(err: unknown): { name: string; message: string } {
  const e = err as { name?: string; message?: string }
  // Data fields too (an InsufficientOzoneError's owner and shortfallBytes): the follower acts on them.
  const fields = Object.fromEntries(
    Object.entries(typeof err === 'object' && err !== null ? err : {}).filter(([, v]) =>
      ['string', 'number', 'bigint', 'boolean'].includes(typeof v),
    ),
  )
  return { ...fields, name: e?.name ?? 'Error', message: e?.message ?? String(err) }
}

/** One follower: its channel, its open downloads and its uploads' abort controllers. */
function serveClient(node: LightNode, channel: BroadcastChannel, heartbeatMs: number): () => void {
  const reads = new Map<number, ReadableStreamDefaultReader<Uint8Array>>()
  const uploads = new Map<number, AbortController>()
  const post = (msg: ClientMessage) => channel.postMessage(msg)
  // Signatures asked of the follower's wallet, by request number.
  const signing = new Map<number, { resolve(s: Uint8Array | string): void; reject(err: Error): void }>()
  let nextReq = 1
  /** The follower's wallet as a signer: each signature is asked over its channel. */
  const followerSigner = (id: number, address: string): TypedDataSigner => ({
    address: toEvmAddress(address),
    signTypedData: (data) =>
      new Promise((resolve, reject) => {
        const req = nextReq++
        signing.set(req, { resolve, reject })
        post({ t: 'sign', id, req, data })
      }),
  })

  const run = async (id: number, method: TabMethod, args: unknown[]): Promise<unknown> => {
    switch (method) {
      case 'stat':
        return node.stat()
      case 'contribute':
        return node.contribute(args[0] as { bytes: number })
      case 'drop':
        return node.drop(args[0] as string, args[1] as { includeOwned?: boolean })
      case 'put': {
        const abort = new AbortController()
        uploads.set(id, abort)
        try {
          const options = (args[1] ?? {}) as Record<string, unknown>
          const signer = typeof args[2] === 'string' ? followerSigner(id, args[2]) : undefined
          return await node.put(args[0] as Blob | Uint8Array, {
            ...options,
            ...(signer ? { signer } : {}),
            signal: abort.signal,
            onProgress: (progress) => post({ t: 'progress', id, progress }),
          })
        } finally {
          uploads.delete(id)
        }
      }
      case 'files':
        return node.files()
      case 'withdraw': {
        const signer = typeof args[1] === 'string' ? followerSigner(id, args[1]) : undefined
        return node.withdraw(args[0] as string, signer ? { signer } : {})
      }
      case 'open': {
        // Progress of this download only, to the follower that asked for it.
        const wanted = (args[1] as { progress?: boolean } | undefined)?.progress === true
        const onProgress = wanted ? (progress: unknown) => post({ t: 'progress', id, progress }) : undefined
        reads.set(id, node.get(args[0] as string, { onProgress }).getReader())
        return undefined
      }
      case 'read': {
        const reader = reads.get(args[0] as number)
        if (!reader) return { done: true }
        const r = await reader.read()
        if (r.done) reads.delete(args[0] as number)
        return r.done ? { done: true } : { done: false, value: r.value }
      }
      case 'cancel': {
        const reader = reads.get(args[0] as number)
        reads.delete(args[0] as number)
        await reader?.cancel()
        return undefined
      }
      case 'abort':
        uploads.get(args[0] as number)?.abort()
        return undefined
      case 'traffic':
        return node.traffic()
      case 'claimPlan':
        return node.claimPlan()
      case 'claimWithNodeKey':
        return node.claim()
      case 'bindOwner':
        return node.bindOwner({ signer: followerSigner(id, args[0] as string) })
      default:
        throw new Error(`Unknown method ${String(method)}`)
    }
  }

  // A hung page sends no heartbeat: its followers give up on it (tab-client.ts).
  const beat = setInterval(() => post({ t: 'beat' }), heartbeatMs)
  const close = () => {
    clearInterval(beat)
    channel.close()
    for (const s of signing.values()) s.reject(nodeStopped())
    signing.clear()
    for (const reader of reads.values()) void reader.cancel().catch(() => {})
    for (const abort of uploads.values()) abort.abort()
    reads.clear()
    uploads.clear()
  }
  channel.onmessage = (event: MessageEvent<ClientMessage>) => {
    const msg = event.data
    if (msg.t === 'close') close()
    if (msg.t === 'signed') {
      const waiting = signing.get(msg.req)
      signing.delete(msg.req)
      if (msg.ok) waiting?.resolve(msg.signature)
      else waiting?.reject(errorFromPlain(msg.error))
    }
    if (msg.t !== 'call') return
    run(msg.id, msg.method, msg.args).then(
      (value) => post({ t: 'result', id: msg.id, ok: true, value }),
      (err) => post({ t: 'result', id: msg.id, ok: false, error: plainError(err) }),
    )
  }
  post({ t: 'connected' })
  return close
}

/**
 * Serves `node` to the origin's other tabs until `close()`.
 *
 * @example
 * ```ts
 * const server = serveTabs(node, { channelName: originChannelName('stratos-edge-slices'), leader: crypto.randomUUID() })
 * ```
 */
export function serveTabs(node: LightNode, init: TabServerInit): TabServer {
  const origin = new BroadcastChannel(init.channelName)
  const clients = new Map<string, () => void>()
  const say = (msg: OriginMessage) => origin.postMessage(msg)
  const hello = () => say({ t: 'hello', leader: init.leader, peerId: node.peerId })

  origin.onmessage = (event: MessageEvent<OriginMessage>) => {
    const msg = event.data
    if (msg.t === 'who') hello()
    else if (msg.t === 'connect' && msg.leader === init.leader && !clients.has(msg.client)) {
      const channel = new BroadcastChannel(`${init.channelName}:${msg.client}`)
      const client = msg.client
      const stop = new AbortController()
      const closeClient = serveClient(node, channel, init.heartbeatMs ?? 1000)
      clients.set(client, () => {
        stop.abort()
        closeClient()
      })
      // Granted once the follower lets go of its lock: it stopped or its tab closed.
      init.locks
        ?.request(channel.name, { signal: stop.signal }, () => {
          clients.get(client)?.()
          clients.delete(client)
        })
        .catch(() => {})
    }
  }
  const forward = (event: Event) => {
    const { type, detail } = event as CustomEvent
    say({ t: 'event', leader: init.leader, event: { type, detail } as LightNodeEvent })
  }
  for (const type of LIGHT_NODE_EVENT_TYPES) node.addEventListener(type, forward)
  hello()

  let closed = false
  return {
    close() {
      if (closed) return
      closed = true
      for (const type of LIGHT_NODE_EVENT_TYPES) node.removeEventListener(type, forward)
      for (const close of clients.values()) close()
      clients.clear()
      say({ t: 'bye', leader: init.leader })
      origin.close()
    },
  }
}
