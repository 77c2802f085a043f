import { proxy, type Remote, transfer, wrap } from 'comlink'
import type {
  GetOptions,
  LightNodeEvent,
  LightNodeEventMap,
  LightNodeOptions,
  LightNodeStat,
  PutOptions,
  PutResult,
} from '../api-types.js'
import { NodeStartError, nodeStopped, WorkerLostError } from '../errors.js'
import type { LightNodeService } from '../node/light-node-service.js'
import { startRtcHost } from '../rtc/rtc-host.js'
import { type FileReadSource, openFileStream } from './file-stream.js'
import { type WatchedWorker, watchWorker } from './worker-watch.js'

/** The page-side handle of a light node running in its worker. */
export interface LightNode {
  /** The node's libp2p peer id. */
  readonly peerId: string
  /** Uploads a file: stores its slices (owned), pushes them to resource nodes, publishes the manifest. */
  put(file: Blob | Uint8Array, options?: PutOptions): Promise<PutResult>
  /**
   * Streams a file by file hash or `sdm://` URI, fetching verified slices from the nearest providers.
   * A byte stream: read it with `getReader({ mode: 'byob' })` and one reused buffer to receive large files
   * without allocating on the page.
   */
  get(ref: string, options?: GetOptions): ReadableStream<Uint8Array>
  stat(): Promise<LightNodeStat>
  /** Offers `bytes` of browser storage to the network (asks for persistent storage). */
  contribute(options: { bytes: number }): Promise<{ budgetBytes: number; persisted: boolean }>
  /** Removes a file's cached slices from this node (owned slices too with `includeOwned`). */
  drop(fileHash: string, options?: { includeOwned?: boolean }): Promise<void>
  addEventListener<K extends keyof LightNodeEventMap>(
    type: K,
    listener: (event: CustomEvent<LightNodeEventMap[K]>) => void,
  ): void
  removeEventListener<K extends keyof LightNodeEventMap>(
    type: K,
    listener: (event: CustomEvent<LightNodeEventMap[K]>) => void,
  ): void
  /** Stops libp2p, closes the store and the page's peer connections, and ends the worker. */
  stop(): Promise<void>
}

function defaultWorker(): Worker {
  return new Worker(new URL('../worker/worker-entry.js', import.meta.url), {
    type: 'module',
    name: 'stratos-edge-light-node',
  })
}

/**
 * Starts a light node in a DedicatedWorker and resolves once it is connected to a resource node and
 * reachable by other browsers (relay reservation made).
 *
 * @example
 * ```ts
 * const node = await createLightNode({ resourceNodes: ['/ip4/10.99.0.1/tcp/4001/ws/p2p/12D3KooW…'] })
 * const { uri } = await node.put(file, { onProgress: (p) => console.log(p.phase, p.bytes) })
 * const bytes = await new Response(node.get(uri)).arrayBuffer()
 * ```
 */
export async function createLightNode(options: LightNodeOptions): Promise<LightNode> {
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
    openRead: (ref, opId) => call(remote.openRead(ref, opId)),
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
      const { onProgress, signal, ...rest } = putOptions
      signal?.throwIfAborted()
      const opId = `op-${++opCounter}`
      const onAbort = () => void reads.abort(opId)
      signal?.addEventListener('abort', onAbort, { once: true })
      try {
        const input = file instanceof Uint8Array ? transfer(file, [file.buffer]) : file
        return await call(remote.put(input, rest, opId, onProgress ? proxy(onProgress) : undefined))
      } finally {
        signal?.removeEventListener('abort', onAbort)
      }
    },
    get(ref, getOptions = {}) {
      live()
      return openFileStream(reads, ref, `op-${++opCounter}`, getOptions.signal)
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
