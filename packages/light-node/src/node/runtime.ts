/**
 * What every part of the light node runs on: the IndexedDB store, the node's identity and owner key,
 * libp2p with the slice protocols, and the meta service's index. Started once per worker.
 */
import type { Libp2p } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import { generateKeyPair, type KeyPair, keyPairFromPrivateKey } from '@stratos-edge/core'
import { registerSliceProtocols } from '@stratos-edge/protocol'
import type { LightNodeEvent, LightNodeOptions } from '../api-types.js'
import { NodeStartError } from '../errors.js'
import { createIdbSliceStore, type IdbSliceStore, type IdbSliceStoreInit } from '../store/idb-slice-store.js'
import { connectionKind } from './connection-kind.js'
import { createLibp2pNode } from './create-libp2p-node.js'
import { dialWithRetry } from './dial-with-retry.js'
import type { NetworkIndex } from './network-index.js'
import { createNetworkIndex } from './network-index-client.js'
import { createPushAdmission } from './push-admission.js'
import { watchResourceNodes } from './resource-link.js'
import { createStoreAdapter } from './store-adapter.js'
import { createProviderTraffic, type ProviderTraffic } from './traffic/provider-traffic.js'
import { createWithdrawBatcher } from './withdraw-batcher.js'

/** Options of {@link startRuntime}: the page's options, less the worker. */
export type RuntimeInit = Omit<LightNodeOptions, 'worker'>

/** Edges of {@link startRuntime}. */
export interface RuntimeComponents {
  /** Sends an event to the page. */
  emit(event: LightNodeEvent): void
}

/** The started store, libp2p, index and keys, with what the node served. */
export interface Runtime {
  readonly peerId: string
  readonly libp2p: Libp2p
  readonly store: IdbSliceStore
  /** Undefined only without resource nodes (nothing to ask). */
  readonly index: NetworkIndex | undefined
  /** The key uploads are signed with unless `put` names another. */
  readonly owner: KeyPair
  readonly served: { slices: number; bytes: number; rejectedStreams: number }
  /** With a network id: the receipts this node holds as a provider, and their submission. */
  readonly traffic?: ProviderTraffic | undefined
  /** Addresses other browsers can dial: relayed WebRTC addresses. */
  reachableAddresses(): string[]
  /** Stops libp2p and closes the store. */
  stop(): Promise<void>
}

/** The store setting that holds the node's libp2p key. */
const IDENTITY_SETTING = 'libp2p-identity'

/**
 * Opens the store, starts libp2p with a stable identity and the slice protocols, and resolves once a
 * resource node is connected and the relay reserved (when resource nodes are named).
 *
 * @example
 * ```ts
 * const runtime = await startRuntime({ resourceNodes: [addr] }, { emit: (e) => console.log(e.type) })
 * console.log(runtime.peerId, runtime.reachableAddresses())
 * await runtime.stop()
 * ```
 */
export async function startRuntime(init: RuntimeInit, components: RuntimeComponents): Promise<Runtime> {
  const { emit } = components
  let index: NetworkIndex | undefined
  // Slices this node stops holding (evicted, dropped, corrupt) are withdrawn from the index, batched.
  const withdrawer = createWithdrawBatcher({
    withdraw: async (hashes) => index?.withdraw(hashes),
    held: (hash) => store.has(hash),
  })
  const storeInit: IdbSliceStoreInit = { onSlicesRemoved: (hashes) => withdrawer.add(hashes) }
  if (init.storeName) storeInit.name = init.storeName
  if (init.budgetBytes) storeInit.budgetBytes = init.budgetBytes
  const store = await createIdbSliceStore(storeInit)
  let libp2p: Libp2p | undefined
  try {
    libp2p = await createLibp2pNode({
      privateKey: await loadIdentity(store),
      ...(init.iceServers ? { iceServers: init.iceServers } : {}),
    })
    const node = libp2p
    const served = { slices: 0, bytes: 0, rejectedStreams: 0 }
    const reachableAddresses = () =>
      node
        .getMultiaddrs()
        .map((m) => m.toString())
        .filter((a) => a.includes('/p2p-circuit') && a.includes('/webrtc'))
    const pushAdmission = createPushAdmission({ store })
    const owner = await loadOwner(store)
    const traffic =
      init.network !== undefined && init.receipts !== false
        ? createProviderTraffic(
            {
              network: init.network,
              ...(init.receiptGraceBytes !== undefined ? { graceBytes: init.receiptGraceBytes } : {}),
            },
            { hold: store.receipts, nodeKey: owner },
          )
        : undefined
    await registerSliceProtocols(node, {
      store: createStoreAdapter(store, { corruptServedSlices: init.faults?.corruptServedSlices === true }),
      runOnLimitedConnection: false,
      // Pushed slices only after `contribute`, and only within the contribution.
      admitPush: (header) => pushAdmission.admit(header),
      ...(traffic ? { admitReceipts: traffic.admitFetch } : {}),
      onSliceServed: (info) => {
        traffic?.served(info.peer, info.bytes)
        served.slices++
        served.bytes += info.bytes
        emit({
          type: 'slice:served',
          detail: { hash: info.hash, bytes: info.bytes, peerId: info.peer.toString() },
        })
      },
      onSliceStored: (slice) => void index?.announce([slice.hash]).catch(() => {}),
      onStreamError: () => {
        served.rejectedStreams++
      },
    })
    node.addEventListener('connection:open', (e) => {
      const conn = e.detail
      emit({
        type: 'peer:connect',
        detail: { peerId: conn.remotePeer.toString(), kind: connectionKind(conn) },
      })
    })
    node.addEventListener('peer:disconnect', (e) => {
      emit({ type: 'peer:disconnect', detail: { peerId: e.detail.toString() } })
    })
    await connectResourceNodes(node, init, reachableAddresses)
    if (init.resourceNodes.length > 0) {
      index = createNetworkIndex(node, {
        resourceNodes: init.resourceNodes,
        selfAddresses: reachableAddresses,
        freeBytes: () => {
          const s = store.stat()
          // Room for others only once the user contributes (see push-admission.ts).
          if (!store.budgetChosenByUser) return 0
          return Math.max(0, s.budgetBytes - s.pinnedBytes - s.cachedBytes)
        },
      })
    }
    const trafficIndex = index
    if (traffic && trafficIndex?.submitReceipts && trafficIndex.trafficStatus) {
      // Takes receipts and gates downloaders once the meta service answers TRAFFIC_STATUS (asked again
      // every 30 s until it does), without holding up the start.
      const { submitReceipts, trafficStatus } = trafficIndex
      void traffic
        .start(node, { submitReceipts: (r) => submitReceipts(r), trafficStatus: () => trafficStatus() })
        .catch(() => {})
    }
    const announceAll = (replace: boolean) =>
      void store
        .listSlices()
        .then((hashes) => (hashes.length > 0 || replace ? index?.announce(hashes, { replace }) : undefined))
        // The index is unreachable; peers already connected can still fetch.
        .catch(() => {})
    // Slices kept from before (a reload) are served again: tell the index.
    announceAll(false)
    // The meta service forgets a light node that disconnects (and all of them when it restarts): when a
    // resource node is back, everything held is announced again, replacing what the index had.
    watchResourceNodes(node, {
      resourceNodes: init.resourceNodes,
      reachable: () => reachableAddresses().length > 0,
      onRestored: () => announceAll(true),
    })
    return {
      peerId: node.peerId.toString(),
      libp2p: node,
      store,
      index,
      owner,
      served,
      traffic,
      reachableAddresses,
      async stop() {
        traffic?.stop()
        await Promise.resolve(node.stop()).catch(() => {})
        await store.close().catch(() => {})
      },
    }
  } catch (err) {
    await Promise.resolve(libp2p?.stop()).catch(() => {})
    await store.close().catch(() => {})
    throw err
  }
}

/** A stable libp2p identity across reloads: peers and the index keep knowing this node. */
async function loadIdentity(store: IdbSliceStore) {
  const {
    generateKeyPair: generateLibp2pKey,
    privateKeyFromProtobuf,
    privateKeyToProtobuf,
  } = await import('@libp2p/crypto/keys')
  const stored = await store.getSetting(IDENTITY_SETTING)
  if (stored) return privateKeyFromProtobuf(stored)
  const privateKey = await generateLibp2pKey('Ed25519')
  await store.setSetting(IDENTITY_SETTING, privateKeyToProtobuf(privateKey))
  return privateKey
}

/** The owner key uploads are signed with by default, kept in the store (workers have no localStorage). */
async function loadOwner(store: IdbSliceStore): Promise<KeyPair> {
  const key = `stratos-edge-owner:${store.name}`
  const stored = await store.getSetting(key)
  if (stored) return keyPairFromPrivateKey(stored)
  const pair = generateKeyPair()
  await store.setSetting(key, pair.privateKey)
  return pair
}

/** Dials the resource nodes and waits for a relay reservation, within `readyTimeoutMs`. */
async function connectResourceNodes(
  libp2p: Libp2p,
  init: RuntimeInit,
  reachableAddresses: () => string[],
): Promise<void> {
  if (init.resourceNodes.length === 0) return
  const deadline = AbortSignal.timeout(init.readyTimeoutMs ?? 10_000)
  const relayReady = new Promise<void>((resolve) => {
    const check = () => {
      if (reachableAddresses().length > 0) {
        libp2p.removeEventListener('self:peer:update', check)
        resolve()
      }
    }
    libp2p.addEventListener('self:peer:update', check)
    check()
  })
  const results = await Promise.allSettled(
    init.resourceNodes.map((addr) =>
      dialWithRetry(libp2p, multiaddr(addr), { signal: deadline, attemptTimeoutMs: 4000 }),
    ),
  )
  if (!results.some((r) => r.status === 'fulfilled')) {
    const reason = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')?.reason
    throw new NodeStartError(
      `Could not connect to any resource node (${String(reason?.message ?? reason)})`,
      'Check the resource node addresses and that a resource node is running',
    )
  }
  await Promise.race([
    relayReady,
    new Promise((_, reject) =>
      deadline.addEventListener('abort', () =>
        reject(
          new NodeStartError(
            'No relay reservation in time',
            'Check that the resource node runs a circuit relay',
          ),
        ),
      ),
    ),
  ])
}
