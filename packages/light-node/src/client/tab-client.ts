/**
 * A follower's handle on the light node another tab of the origin runs: the {@link LightNode} API over
 * the follower's own BroadcastChannel (see tab-messages.ts and tab-server.ts).
 */
import type { TypedDataSigner } from '@stratos-edge/core'
import type { DownloadProgress, PutOptions, PutProgress, RewardClaimCall } from '../api-types.js'
import {
  errorFromPlain,
  LeaderLostError,
  NodeStartError,
  nodeStopped,
  SigningFailedError,
} from '../errors.js'
import type { LightNode } from './create-light-node.js'
import { type FileReadSource, openFileStream } from './file-stream.js'
import { resolvePutSigner } from './put-signer.js'
import { claimWithWallet } from './reward-claim.js'
import type { ClientMessage, OriginMessage, TabMethod } from './tab-messages.js'

/** Options of {@link connectTab}. */
export interface TabClientInit {
  channelName: string
  /** The leader's announcement. */
  leader: string
  peerId: string
  /** How long to wait for the leader to open this tab's channel; default 10 s. */
  timeoutMs?: number
  /**
   * Where there is one: the client holds a lock named after its channel while connected, so the leader
   * notices a tab that closed without saying so (its lock request is granted) and drops its downloads.
   */
  locks?: LockManager | undefined
  /**
   * A leader not heard from for this long (no heartbeat, no answer) is lost: the client ends with
   * `LeaderLostError` and calls `onLost`. Default 5 s (the leader beats every second; time this page
   * itself was blocked does not count).
   */
  leaderTimeoutMs?: number
  /** Called once when the leader is lost (not when the client is ended or stopped). */
  onLost?: ((reason: Error) => void) | undefined
}

/** A connected follower; `end(reason)` rejects its waiting calls (its leader is gone) and closes it. */
export interface TabClient extends LightNode {
  readonly leader: string
  end(reason: Error): void
}

interface Waiting {
  resolve(value: unknown): void
  reject(err: Error): void
  onProgress?: ((progress: PutProgress) => void) | undefined
  /** The owner of a `put`, which the leader asks for signatures. */
  signer?: TypedDataSigner | undefined
}

function plainError(err: unknown): { name: string; message: string } {
  const e = err as { name?: string; message?: string }
  return { name: e?.name ?? 'Error', message: e?.message ?? String(err) }
}

/**
 * Connects to the leader named in its `hello`. Events are not this client's: the leader broadcasts them
 * to every tab on the origin's channel.
 *
 * @example
 * ```ts
 * const node = await connectTab({ channelName, leader: hello.leader, peerId: hello.peerId }, origin)
 * console.log(await node.stat())
 * ```
 */
export async function connectTab(init: TabClientInit, origin: BroadcastChannel): Promise<TabClient> {
  const client = crypto.randomUUID()
  const channel = new BroadcastChannel(`${init.channelName}:${client}`)
  const waiting = new Map<number, Waiting>()
  let nextId = 1
  let ended: Error | undefined
  let releaseLife: (() => void) | undefined
  if (init.locks) {
    releaseLife = await new Promise<() => void>((resolve) => {
      init.locks
        ?.request(channel.name, () => new Promise<void>((release) => resolve(release)))
        .catch(() => resolve(() => {}))
    })
  }

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      channel.close()
      releaseLife?.()
      reject(new NodeStartError('The tab running the light node did not answer', 'Reload the page'))
    }, init.timeoutMs ?? 10_000)
    channel.onmessage = (event: MessageEvent<ClientMessage>) => {
      if (event.data.t !== 'connected') return
      clearTimeout(timer)
      resolve()
    }
    origin.postMessage({ t: 'connect', leader: init.leader, client } satisfies OriginMessage)
  })

  // The leader's heartbeat: a leader whose page hung would leave this tab's calls waiting for ever.
  const leaderTimeoutMs = init.leaderTimeoutMs ?? 5000
  const checkMs = Math.min(1000, leaderTimeoutMs / 4)
  let heard = Date.now()
  let lastCheck = heard
  const check = setInterval(() => {
    const now = Date.now()
    // This page's own stall (the timer ran late) does not count against the leader.
    const stall = now - lastCheck - checkMs
    lastCheck = now
    if (stall > checkMs) heard += stall
    if (now - heard <= leaderTimeoutMs) return
    const reason = new LeaderLostError(
      `The tab running the light node has not answered for ${now - heard} ms`,
      'Call again: the call waits for the next tab that runs the node',
    )
    end(reason)
    init.onLost?.(reason)
  }, checkMs)

  channel.onmessage = (event: MessageEvent<ClientMessage>) => {
    const msg = event.data
    heard = Date.now()
    if (msg.t === 'progress') {
      waiting.get(msg.id)?.onProgress?.(msg.progress as PutProgress)
      downloadProgress.get(msg.id)?.(msg.progress as DownloadProgress)
    }
    if (msg.t === 'sign') {
      const { req } = msg
      const signer = waiting.get(msg.id)?.signer
      const signing = signer
        ? signer.signTypedData(msg.data)
        : Promise.reject(new SigningFailedError('No signer for this upload', 'Upload again'))
      signing.then(
        (signature) =>
          !ended && channel.postMessage({ t: 'signed', req, ok: true, signature } satisfies ClientMessage),
        (err) =>
          !ended &&
          channel.postMessage({
            t: 'signed',
            req,
            ok: false,
            error: plainError(err),
          } satisfies ClientMessage),
      )
    }
    if (msg.t !== 'result') return
    const call = waiting.get(msg.id)
    waiting.delete(msg.id)
    if (msg.ok) call?.resolve(msg.value)
    else call?.reject(errorFromPlain(msg.error))
  }

  const start = (
    method: TabMethod,
    args: unknown[],
    onProgress?: Waiting['onProgress'],
    signer?: Waiting['signer'],
  ) => {
    const id = nextId++
    const done = new Promise<unknown>((resolve, reject) => {
      if (ended) throw ended
      waiting.set(id, { resolve, reject, onProgress, signer })
      channel.postMessage({ t: 'call', id, method, args } satisfies ClientMessage)
    })
    return { id, done }
  }
  const call = <T>(method: TabMethod, ...args: unknown[]) => start(method, args).done as Promise<T>

  // Downloads reuse the page's byte stream; each opId maps to the leader's `open` call id, which the
  // leader's progress messages for that download carry.
  const streams = new Map<string, number>()
  const leftovers = new Map<string, Uint8Array>()
  const downloadProgress = new Map<number, (progress: DownloadProgress) => void>()
  const reads: FileReadSource = {
    async openRead(ref, opId, onProgress) {
      const { id, done } = start('open', [ref, { progress: onProgress !== undefined }])
      streams.set(opId, id)
      if (onProgress) downloadProgress.set(id, onProgress)
      try {
        await done
      } catch (err) {
        downloadProgress.delete(id)
        throw err
      }
    },
    async readChunk(opId) {
      const r = await call<{ done: boolean; value?: Uint8Array }>('read', streams.get(opId))
      if (r.done) downloadProgress.delete(streams.get(opId) ?? 0)
      return r.done ? undefined : r.value
    },
    async readInto(opId, buffer, offset, length) {
      let rest = leftovers.get(opId)
      if (!rest || rest.byteLength === 0) {
        rest = await reads.readChunk(opId)
        if (!rest) return { buffer, filled: 0 }
      }
      const filled = Math.min(length, rest.byteLength)
      new Uint8Array(buffer, offset, filled).set(rest.subarray(0, filled))
      leftovers.set(opId, rest.subarray(filled))
      return { buffer, filled }
    },
    async abort(opId) {
      leftovers.delete(opId)
      const id = streams.get(opId)
      streams.delete(opId)
      if (id !== undefined) downloadProgress.delete(id)
      if (id !== undefined && !ended) await call('cancel', id)
    },
  }

  const end = (reason: Error) => {
    clearInterval(check)
    ended ??= reason
    for (const w of waiting.values()) w.reject(ended)
    waiting.clear()
    downloadProgress.clear()
    channel.close()
    releaseLife?.()
  }
  let opCounter = 0

  return {
    leader: init.leader,
    peerId: init.peerId,
    end,
    async put(file, options: PutOptions = {}) {
      const { onProgress, signal, signer, ...rest } = options
      signal?.throwIfAborted()
      // The wallet stays in this tab: the leader asks it for each signature over this tab's channel.
      const owner = signer ? await resolvePutSigner(signer) : undefined
      signal?.throwIfAborted()
      const { id, done } = start('put', [file, rest, owner?.address], onProgress, owner)
      const onAbort = () => void call('abort', id).catch(() => {})
      signal?.addEventListener('abort', onAbort, { once: true })
      try {
        return (await done) as Awaited<ReturnType<LightNode['put']>>
      } finally {
        signal?.removeEventListener('abort', onAbort)
      }
    },
    get(ref, options = {}) {
      if (ended) throw ended
      return openFileStream(reads, ref, `tab-op-${++opCounter}`, options.signal, options.onProgress)
    },
    stat: () => call('stat'),
    contribute: (c) => call('contribute', c),
    drop: async (fileHash, options = {}) => {
      await call('drop', fileHash, options)
    },
    files: () => call('files'),
    async withdraw(fileHash, options = {}) {
      const owner = options.signer ? await resolvePutSigner(options.signer) : undefined
      const { done } = start('withdraw', [fileHash, owner?.address], undefined, owner)
      return (await done) as Awaited<ReturnType<LightNode['withdraw']>>
    },
    traffic: () => call('traffic'),
    // A wallet claim is sent from this tab's wallet; the leader only plans it.
    claim: async (options = {}) =>
      options.signer
        ? claimWithWallet(await call<RewardClaimCall[]>('claimPlan'), options.signer)
        : call('claimWithNodeKey'),
    claimPlan: () => call('claimPlan'),
    async bindOwner(options) {
      const owner = await resolvePutSigner(options.signer)
      const { done } = start('bindOwner', [owner.address], undefined, owner)
      return (await done) as Awaited<ReturnType<LightNode['bindOwner']>>
    },
    // The origin's facade dispatches the leader's events; a bare client has none of its own.
    addEventListener() {},
    removeEventListener() {},
    async stop() {
      if (ended) return
      channel.postMessage({ t: 'close' } satisfies ClientMessage)
      end(nodeStopped())
    },
  }
}
