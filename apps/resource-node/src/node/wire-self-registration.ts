import type { Libp2p, PeerId } from '@libp2p/interface'
import type { SliceHash } from '@stratos-edge/core'
import type { MetaService } from '../meta/meta-service.js'
import type { DiskSliceStore } from '../store/disk-slice-store.js'
import type { Announcer } from './announcer.js'

/** Edges of {@link wireSelfRegistration}. */
export interface SelfRegistrationComponents {
  libp2p: Pick<Libp2p, 'peerId' | 'addEventListener' | 'removeEventListener'>
  store: Pick<DiskSliceStore, 'maxBytes' | 'usedBytes' | 'list'>
  /** The in-process meta service, if the node runs it. */
  metaService: MetaService | undefined
  /** Otherwise, what announces this node's slices to the remote meta service. */
  announcer: Announcer | undefined
  /** The addresses this node announces (HTTP upload endpoint first). */
  selfAddresses(): string[]
  /** How this node appears to its in-process meta service. */
  selfObservedAddr: string
}

/** How the node tells the meta service (in process or remote) what it holds. */
export interface SelfRegistration {
  /** A slice was stored. */
  stored(hash: SliceHash): void
  /** A slice was removed from the store. */
  removed(hash: SliceHash): void
  /** With an in-process meta service: registers now, every 30 s, and reports peer disconnects. */
  start(): void
  /** Stops the 30 s refresh. */
  stop(): void
  /** Stops reporting peer disconnects. */
  detach(): void
}

/**
 * The node's registration with its meta service: the in-process one hears from this node like from
 * any other (a full refresh every 30 s, single slices as they come and go); a remote one through the
 * announcer.
 *
 * @example
 * ```ts
 * const registration = wireSelfRegistration({ libp2p, store, metaService, announcer, selfAddresses, selfObservedAddr })
 * ```
 */
export function wireSelfRegistration(components: SelfRegistrationComponents): SelfRegistration {
  const { libp2p, store, metaService, announcer, selfObservedAddr } = components
  const selfAnnouncement = (hashes: SliceHash[], replace: boolean) => ({
    kind: 'resource' as const,
    multiaddrs: components.selfAddresses(),
    freeBytes: Math.max(0, store.maxBytes - store.usedBytes),
    replace,
    hashes,
  })
  const registerSelf = (): void =>
    metaService?.registerLocal(
      libp2p.peerId.toString(),
      selfAnnouncement(
        store.list().map((s) => s.hash),
        true,
      ),
      selfObservedAddr,
    )
  const onPeerDisconnect = (evt: CustomEvent<PeerId>): void =>
    metaService?.peerDisconnected(evt.detail.toString())
  let selfTimer: ReturnType<typeof setInterval> | undefined

  return {
    stored(hash) {
      metaService?.registerLocal(libp2p.peerId.toString(), selfAnnouncement([hash], false), selfObservedAddr)
      announcer?.added(hash)
    },
    removed(hash) {
      metaService?.withdraw([hash], { peer: libp2p.peerId, remoteAddr: selfObservedAddr })
      announcer?.removed(hash)
    },
    start() {
      if (!metaService) return
      registerSelf()
      selfTimer = setInterval(registerSelf, 30_000)
      libp2p.addEventListener('peer:disconnect', onPeerDisconnect)
    },
    stop() {
      clearInterval(selfTimer)
    },
    detach() {
      libp2p.removeEventListener('peer:disconnect', onPeerDisconnect)
    },
  }
}
