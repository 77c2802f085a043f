/**
 * Which pushed slices a light node takes: none until the user chose to `contribute` storage, then only
 * what fits in the contribution beside what is already held. Decided from the push header alone, before
 * any byte of the slice is read or memory reserved.
 */
import { type PushHeader, StoreFullError, UnsupportedOperationError } from '@stratos-edge/protocol'
import type { IdbSliceStore } from '../store/idb-slice-store.js'

/** Edges of {@link createPushAdmission}. */
export interface PushAdmissionComponents {
  /** The slice store: its budget, whether the user chose it, and what it holds. */
  store: Pick<IdbSliceStore, 'budgetChosenByUser' | 'stat'>
}

/** Decides each push; plugged into the slice service as its `admitPush`. */
export interface PushAdmission {
  /**
   * Returns when the slice may be stored. Throws `UnsupportedOperationError` while the node contributes
   * nothing (never asked to, or 0 bytes beyond its own files), `StoreFullError` when the slice does not
   * fit in what is left of the contribution. Both reach the pusher as typed errors over the wire.
   */
  admit(header: Pick<PushHeader, 'hash' | 'size'>): void
}

/**
 * Creates the push admission of a light node. The contribution is the store's budget less the node's own
 * (pinned) files; slices it cached or was pushed before count against it, so pushes never evict them. Up
 * to the slice service's in-flight window may be admitted at once; the store's budget still bounds what
 * is written (a cached slice past it is evicted or not kept).
 *
 * @example
 * ```ts
 * const admission = createPushAdmission({ store })
 * await registerSliceProtocols(libp2p, { store: adapter, admitPush: (header) => admission.admit(header) })
 * ```
 */
export function createPushAdmission(components: PushAdmissionComponents): PushAdmission {
  const { store } = components
  return {
    admit(header) {
      const { budgetBytes, pinnedBytes, cachedBytes } = store.stat()
      const contributed = budgetBytes - pinnedBytes
      if (!store.budgetChosenByUser || contributed <= 0) {
        throw new UnsupportedOperationError(
          `This light node contributes no storage, so it does not take pushed slices (${header.hash})`,
          'Push to a resource node, or to a light node whose user chose to contribute storage',
        )
      }
      const free = contributed - cachedBytes
      if (header.size > free) {
        throw new StoreFullError(
          `Slice ${header.hash} (${header.size} bytes) does not fit: ${Math.max(0, free)} of the ${contributed} contributed bytes are free`,
          'Push it to another node',
        )
      }
    },
  }
}
