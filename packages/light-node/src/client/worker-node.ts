/**
 * The light node of this tab: its DedicatedWorker, the page's RTC host for it, the comlink client, and
 * the watch that notices a lost worker.
 */
import { proxy, type Remote, transfer, wrap } from 'comlink'
import type { LightNodeEvent, LightNodeOptions } from '../api-types.js'
import { NodeStartError, nodeStopped, WorkerLostError } from '../errors.js'
import type { LightNodeService } from '../node/light-node-service.js'
import { startRtcHost } from '../rtc/rtc-host.js'
import type { LightNode } from './create-light-node.js'
import { type FileReadSource, openFileStream } from './file-stream.js'
import { resolvePutSigner } from './put-signer.js'
import { claimWithWallet } from './reward-claim.js'
import { type WatchedWorker, watchWorker } from './worker-watch.js'

function defaultWorker(): Worker {
  return new Worker(new URL('../worker/worker-entry.js', import.meta.url), {
    type: 'module',
    name: 'stratos-edge-light-node',
  })
}

/** Hooks of {@link startWorkerNode}. */
export interface WorkerNodeHooks {
  /** Called once when the node ends: stopped (NodeStoppedError) or its worker lost (WorkerLostError). */
  onEnd?(reason: Error): void
}

/**
 * Starts a light node in a DedicatedWorker of this tab and resolves once it is connected to a resource
 * node and reachable by other browsers (relay reservation made). {@link createLightNode} calls it in the
 * tab its origin elects.
 *
 * @example
 * ```ts
 * const node = await startWorkerNode({ resourceNodes: ['/ip4/10.99.0.1/tcp/4001/ws/p2p/12D3KooW…'] })
 * ```
 */
export async function startWorkerNode(
  options: LightNodeOptions,
  hooks: WorkerNodeHooks = {},
): Promise<LightNode> {
  const worker = typeof options.worker === 'function' ? options.worker() : (options.worker ?? defaultWorker())
  const host = startRtcHost(
    worker,
    options.channelTransfer ? { channelTransfer: options.channelTransfer } : {},
  )
  const channel = new MessageChannel()
  const loadFailed = new Promise<never>((_, reject) => {
    const onError = (event: MessageEvent) => {
      const data = event.data as { stratosEdgeLoadError?: string } | undefined
      if (data?.stratosEdgeLoadError)
        reject(new NodeStartError(`The light node worker failed to load: ${data.stratosEdgeLoadError}`))
    }
    channel.port1.addEventListener('message', onError)
    worker.addEventListener('error', (e) =>
      reject(new NodeStartError(`The light node worker failed: ${e.message}`)),
    )
  })
  loadFailed.catch(() => {})
  worker.postMessage({ stratosEdgeApiPort: channel.port2 }, [channel.port2])
  const remote: Remote<LightNodeService> = wrap<LightNodeService>(channel.port1)
  const events = new EventTarget()
  const { worker: _worker, ...init } = options
  let stopped = false
  let opCounter = 0

  // comlink never settles a call whose port closed: when the node is stopped, every call still waiting
  // rejects with NodeStoppedError, and so does every read of an open download; when the worker is lost
  // (ended, crashed or hung: see worker-watch.ts), with WorkerLostError. (A worker's 'error' event after
  // start is usually an uncaught exception in it, not its end: the watch pings it before giving up.)
  let ended: Error | undefined
  const waiting = new Set<(err: Error) => void>()
  const end = (reason: Error = nodeStopped()) => {
    if (!ended) hooks.onEnd?.(reason)
    ended ??= reason
    for (const reject of waiting) reject(ended)
    waiting.clear()
  }
  const watch = watchWorker(worker as unknown as WatchedWorker, (why) => {
    stopped = true
    // The page's peer connections would stay open with nobody to use them.
    host.close()
    channel.port1.close()
    worker.terminate()
    end(new WorkerLostError(`The light node's worker was lost: ${why}`, 'Create a new light node'))
  })
  const call = <T>(pending: Promise<T>): Promise<T> => {
    if (ended) return Promise.reject(ended)
    return new Promise<T>((resolve, reject) => {
      waiting.add(reject)
      pending.then(resolve, reject).finally(() => waiting.delete(reject))
    })
  }
  const onEvent = (event: LightNodeEvent) => {
    events.dispatchEvent(new CustomEvent(event.type, { detail: event.detail }))
  }
  let info: { peerId: string }
  try {
    info = await Promise.race([call(remote.start(init, proxy(onEvent))), loadFailed])
  } catch (err) {
    watch.stop()
    host.close()
    worker.terminate()
    throw err
  }

  const reads: FileReadSource = {
    openRead: (ref, opId, onProgress) =>
      call(remote.openRead(ref, opId, onProgress ? proxy(onProgress) : undefined)),
    readChunk: (opId) => call(remote.readChunk(opId)),
    readInto: (opId, buffer, offset, length) => call(remote.readInto(opId, buffer, offset, length)),
    // Cancelling a download of a node that ended has nothing left to stop.
    abort: (opId) => call(remote.abort(opId)).catch(() => {}),
  }

  const live = () => {
    if (stopped) throw ended ?? nodeStopped()
  }

  return {
    peerId: info.peerId,
    async put(file, putOptions = {}) {
      live()
      const { onProgress, signal, signer, ...rest } = putOptions
      signal?.throwIfAborted()
      // The worker asks the page's wallet for each signature; the wallet's key stays where it is.
      const owner = signer ? await resolvePutSigner(signer) : undefined
      signal?.throwIfAborted()
      const opId = `op-${++opCounter}`
      const onAbort = () => void reads.abort(opId)
      signal?.addEventListener('abort', onAbort, { once: true })
      try {
        const input = file instanceof Uint8Array ? transfer(file, [file.buffer]) : file
        return await call(
          remote.put(
            input,
            rest,
            opId,
            onProgress ? proxy(onProgress) : undefined,
            owner ? proxy(owner) : undefined,
          ),
        )
      } finally {
        signal?.removeEventListener('abort', onAbort)
      }
    },
    get(ref, getOptions = {}) {
      live()
      return openFileStream(reads, ref, `op-${++opCounter}`, getOptions.signal, getOptions.onProgress)
    },
    async stat() {
      live()
      return call(remote.stat())
    },
    async contribute(c) {
      live()
      return call(remote.contribute(c))
    },
    async drop(fileHash, dropOptions = {}) {
      live()
      await call(remote.drop(fileHash, dropOptions))
    },
    async files() {
      live()
      return call(remote.files())
    },
    async withdraw(fileHash, withdrawOptions = {}) {
      live()
      // Like put's: the wallet signs where it is, asked from the worker.
      const signer = withdrawOptions.signer ? await resolvePutSigner(withdrawOptions.signer) : undefined
      return call(remote.withdraw(fileHash, signer ? proxy(signer) : undefined))
    },
    async traffic() {
      live()
      return call(remote.traffic())
    },
    async claim(claimOptions = {}) {
      live()
      if (!claimOptions.signer) return call(remote.claimWithNodeKey())
      return claimWithWallet(await call(remote.claimPlan()), claimOptions.signer)
    },
    async claimPlan() {
      live()
      return call(remote.claimPlan())
    },
    async bindOwner(bindOptions) {
      live()
      // Like put's: the wallet signs where it is, asked from the worker.
      return call(remote.bindOwner(proxy(await resolvePutSigner(bindOptions.signer))))
    },
    addEventListener(type, listener) {
      events.addEventListener(type, listener as EventListener)
    },
    removeEventListener(type, listener) {
      events.removeEventListener(type, listener as EventListener)
    },
    async stop() {
      if (stopped) return
      stopped = true
      try {
        // A worker that does not answer is not waited for long.
        await Promise.race([call(remote.stop()).catch(() => {}), new Promise((r) => setTimeout(r, 5000))])
      } finally {
        watch.stop()
        host.close()
        channel.port1.close()
        worker.terminate()
        end()
      }
    },
  }
}
