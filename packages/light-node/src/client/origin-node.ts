/**
 * One light node per origin (and store name). The tabs of an origin elect the one that runs the node
 * with the Web Locks API: the first to ask holds the lock while its node runs and serves it to the
 * others (tab-server.ts); every other tab uses that node through a {@link TabClient} and waits in the
 * lock's queue. When the leader's tab closes (or its node stops or its worker is lost) the browser
 * releases the lock, the next tab in the queue starts the node on the same IndexedDB store (so with the
 * same peer id and slices), and the remaining tabs follow the new leader.
 */
import type { LightNodeOptions } from '../api-types.js'
import { NodeStartError, NodeStoppedError, nodeStopped } from '../errors.js'
import type { LightNode } from './create-light-node.js'
import { connectTab, type TabClient } from './tab-client.js'
import { type OriginMessage, originChannelName } from './tab-messages.js'
import { LIGHT_NODE_EVENT_TYPES, serveTabs, type TabServer } from './tab-server.js'

/** Components of {@link createOriginNode}. */
export interface OriginNodeComponents {
  locks: LockManager
  /** Starts this tab's own node (the worker); `onEnd` runs when it stops or its worker is lost. */
  startLocal(options: LightNodeOptions, onEnd: (reason: Error) => void): Promise<LightNode>
}

/** Options of {@link createOriginNode} beyond the node's own. */
export interface OriginNodeInit {
  /** How long a tab waits for the leader's node before giving up; default 60 s. */
  followTimeoutMs?: number
  /** A leading tab not heard from for this long is lost (see `TabClientInit.leaderTimeoutMs`); default 5 s. */
  leaderTimeoutMs?: number
}

/** Takes a Web Lock and keeps it until the returned function is called; undefined if not granted. */
function holdLock(locks: LockManager, name: string, options: LockOptions): Promise<(() => void) | undefined> {
  return new Promise((resolve) => {
    locks
      .request(name, options, (lock) => {
        if (!lock) {
          resolve(undefined)
          return undefined
        }
        return new Promise<void>((release) => resolve(() => release()))
      })
      .catch(() => resolve(undefined))
  })
}

function leaderGone(): NodeStoppedError {
  return new NodeStoppedError(
    'The tab that ran the light node closed or stopped it while this call was waiting',
    'Call again: another tab takes the node over',
  )
}

/**
 * The origin's light node as this tab sees it: its own (when elected) or the leader's.
 *
 * @example
 * ```ts
 * const node = await createOriginNode(options, { locks: navigator.locks, startLocal: startWorkerNode })
 * ```
 */
export async function createOriginNode(
  options: LightNodeOptions,
  components: OriginNodeComponents,
  init: OriginNodeInit = {},
): Promise<LightNode> {
  const channelName = originChannelName(options.storeName ?? 'stratos-edge-slices')
  const events = new EventTarget()
  const origin = new BroadcastChannel(channelName)
  const quit = new AbortController()
  let local: { node: LightNode; server: TabServer; release(): void } | undefined
  let remote: TabClient | undefined
  let stopped = false
  /** Calls made while no node is reachable wait here for the next one. */
  let waiters: { resolve(node: LightNode): void; reject(err: Error): void }[] = []
  const reachable = (node: LightNode) => {
    for (const w of waiters) w.resolve(node)
    waiters = []
  }
  /** Set when this tab won the node and could not start it: no other tab will lead, calls fail. */
  let failed: Error | undefined
  const target = (): Promise<LightNode> => {
    if (stopped) return Promise.reject(nodeStopped())
    if (failed) return Promise.reject(failed)
    const now = local?.node ?? remote
    return now ? Promise.resolve(now) : new Promise((resolve, reject) => waiters.push({ resolve, reject }))
  }
  const redispatch = (event: Event) =>
    events.dispatchEvent(new CustomEvent(event.type, { detail: (event as CustomEvent).detail }))

  const lead = async (release: () => void): Promise<void> => {
    remote?.end(leaderGone())
    remote = undefined
    let node: LightNode | undefined
    let ended = false
    const onEnd = () => {
      // Stopped or lost: let the next tab take over. A tab whose worker was lost (not stopped on purpose)
      // queues for the node again and meanwhile follows whoever leads next.
      if (ended) return
      ended = true
      if (local && local.node === node) {
        for (const type of LIGHT_NODE_EVENT_TYPES) local.node.removeEventListener(type, redispatch)
        local.server.close()
        local = undefined
      }
      release()
      if (stopped) return
      queue()
      origin.postMessage({ t: 'who' } satisfies OriginMessage)
    }
    try {
      node = await components.startLocal(options, onEnd)
    } catch (err) {
      release()
      throw err
    }
    if (stopped) {
      await node.stop()
      return
    }
    // Lost before it was served: onEnd has already queued this tab again.
    if (ended) return
    for (const type of LIGHT_NODE_EVENT_TYPES) node.addEventListener(type, redispatch)
    local = {
      node,
      server: serveTabs(node, { channelName, leader: crypto.randomUUID(), locks: components.locks }),
      release,
    }
    reachable(node)
  }

  let following: string | undefined
  const follow = async (leader: string, peerId: string): Promise<void> => {
    if (local || stopped || following === leader || remote?.leader === leader) return
    following = leader
    remote?.end(leaderGone())
    remote = undefined
    try {
      let client: TabClient | undefined
      // A leader that stopped answering (its page hung): its calls under way have failed with
      // LeaderLostError; later calls wait for whoever answers next (this tab stays queued for the lock).
      const onLost = () => {
        if (!client || remote !== client) return
        remote = undefined
        if (!stopped && !local) origin.postMessage({ t: 'who' } satisfies OriginMessage)
      }
      client = await connectTab(
        {
          channelName,
          leader,
          peerId,
          locks: components.locks,
          ...(init.leaderTimeoutMs !== undefined ? { leaderTimeoutMs: init.leaderTimeoutMs } : {}),
          onLost,
        },
        origin,
      )
      if (stopped || local || following !== leader) {
        await client.stop()
        return
      }
      remote = client
      reachable(client)
    } catch {
      // The leader went away before answering (its successor says hello) or is too busy to: ask again.
      setTimeout(() => {
        if (!stopped && !local && !remote) origin.postMessage({ t: 'who' } satisfies OriginMessage)
      }, 1000)
    } finally {
      if (following === leader) following = undefined
    }
  }

  origin.onmessage = (event: MessageEvent<OriginMessage>) => {
    const msg = event.data
    if (local || stopped) return
    if (msg.t === 'hello') void follow(msg.leader, msg.peerId)
    else if (msg.t === 'bye' && remote?.leader === msg.leader) {
      remote.end(leaderGone())
      remote = undefined
    } else if (msg.t === 'event' && remote?.leader === msg.leader) {
      events.dispatchEvent(new CustomEvent(msg.event.type, { detail: msg.event.detail }))
    }
  }

  /** Queues this tab for the takeover; meanwhile it follows whoever leads. */
  function queue(): Promise<void> {
    const takeover = holdLock(components.locks, channelName, { signal: quit.signal }).then(
      async (release) => {
        if (!release) return
        if (stopped) release()
        else await lead(release)
      },
    )
    // A takeover that fails to start the node fails the calls waiting for it, and later ones.
    takeover.catch((err: Error) => {
      failed = err
      for (const w of waiters) w.reject(err)
      waiters = []
    })
    return takeover
  }

  const first = await holdLock(components.locks, channelName, { ifAvailable: true })
  if (first) {
    try {
      await lead(first)
    } catch (err) {
      stopped = true
      origin.close()
      throw err
    }
  } else {
    const takeover = queue()
    origin.postMessage({ t: 'who' } satisfies OriginMessage)
    const timeoutMs = init.followTimeoutMs ?? 60_000
    let timer: ReturnType<typeof setTimeout> | undefined
    try {
      await Promise.race([
        target(),
        takeover.then(() => target()),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new NodeStartError(`No tab ran this origin's light node within ${timeoutMs} ms`)),
            timeoutMs,
          )
        }),
      ])
    } catch (err) {
      stopped = true
      quit.abort()
      origin.close()
      throw err
    } finally {
      clearTimeout(timer)
    }
  }

  const current = () => local?.node ?? remote
  return {
    get peerId() {
      return current()?.peerId ?? ''
    },
    put: async (file, putOptions) => (await target()).put(file, putOptions),
    get(ref, getOptions) {
      const now = current()
      if (now) return now.get(ref, getOptions)
      if (stopped) throw nodeStopped()
      // No node reachable this instant (a takeover under way): pass the next one's stream through.
      const inner = target().then((node) => node.get(ref, getOptions).getReader())
      return new ReadableStream<Uint8Array>({
        async pull(controller) {
          const r = await (await inner).read()
          if (r.done) controller.close()
          else controller.enqueue(r.value)
        },
        async cancel(reason) {
          await (await inner).cancel(reason)
        },
      })
    },
    stat: async () => (await target()).stat(),
    contribute: async (c) => (await target()).contribute(c),
    drop: async (fileHash, dropOptions) => (await target()).drop(fileHash, dropOptions),
    files: async () => (await target()).files(),
    withdraw: async (fileHash, withdrawOptions) => (await target()).withdraw(fileHash, withdrawOptions),
    traffic: async () => (await target()).traffic(),
    claim: async (claimOptions) => (await target()).claim(claimOptions),
    claimPlan: async () => (await target()).claimPlan(),
    bindOwner: async (bindOptions) => (await target()).bindOwner(bindOptions),
    addEventListener(type, listener) {
      events.addEventListener(type, listener as EventListener)
    },
    removeEventListener(type, listener) {
      events.removeEventListener(type, listener as EventListener)
    },
    async stop() {
      if (stopped) return
      stopped = true
      quit.abort()
      origin.close()
      for (const w of waiters) w.reject(nodeStopped())
      waiters = []
      const mine = local
      if (mine) {
        mine.server.close()
        await mine.node.stop()
        mine.release()
      }
      await remote?.stop()
    },
  }
}
