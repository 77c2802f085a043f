/**
 * @packageDocumentation
 * `@stratos-edge/light-node/worker`: the light node's internals, for code that runs them itself
 * (benchmarks, tests, a custom worker): the worker-side service, the IndexedDB slice store, and the
 * RTCPeerConnection stand-in with its page-side host. Pages use the main entry (`createLightNode`).
 *
 * @example
 * ```ts
 * import { createIdbSliceStore } from '@stratos-edge/light-node/worker'
 *
 * const store = await createIdbSliceStore({ name: 'bench', budgetBytes: 512 << 20 })
 * console.log(store.stat())
 * ```
 */

export {
  createLightNodeService,
  LightNodeService,
  type LightNodeServiceComponents,
} from './node/light-node-service.js'
export type { Runtime, RuntimeComponents, RuntimeInit } from './node/runtime.js'
export { bridgeDataChannel, PortDataChannel } from './rtc/port-data-channel.js'
export { type RtcHost, type RtcHostOptions, type RtcHostPort, startRtcHost } from './rtc/rtc-host.js'
export { installRtcStandIn, ProxyDataChannel, type RtcPort } from './rtc/rtc-stand-in.js'
export {
  createIdbSliceStore,
  type FileRecord,
  type FileSlice,
  IdbSliceStore,
  type IdbSliceStoreComponents,
  type IdbSliceStoreInit,
  type SliceEntry,
  type SliceMeta,
  type SliceStoreStat,
  verifySlice,
} from './store/idb-slice-store.js'
