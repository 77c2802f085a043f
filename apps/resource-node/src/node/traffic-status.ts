import type { ServedTraffic } from '../gateway/served-traffic.js'
import type { ClaimedEpoch, TrafficStatusView } from './traffic-claimer.js'

/** A receipt the node holds for its libp2p traffic (the receipt protocol's hold store's shape). */
export interface HeldReceiptView {
  readonly receipt: { readonly epoch: number; readonly bytes: number }
  readonly state: string
}

/** What became of one epoch's gateway self-report. */
export type SelfReportState = 'none' | 'pending' | 'accepted' | 'duplicate' | `rejected:${string}`

/** One epoch of the node's own traffic. */
export interface NodeTrafficEpoch {
  readonly epoch: number
  /** Bytes served over libp2p, as the newest receipts held for the epoch attest. */
  readonly libp2pBytes: string
  /** Receipts held for the epoch (one per downloader and ticket). */
  readonly receipts: number
  /** Bytes the HTTP gateway served (self-reported, less trusted). */
  readonly gatewayBytes: string
  readonly selfReport: SelfReportState
  /** The reward the meta service settled for the node in this epoch, STOS wei (0 until settled). */
  readonly reward: string
  readonly state: 'open' | 'submitted' | 'settled' | 'claimable' | 'claimed'
}

/** The body of `GET /v1/status/traffic` (amounts as decimal strings). */
export interface NodeTrafficStatus {
  /** The node's EVM address (provider and reward account). */
  readonly account: string
  readonly network?: number
  readonly currentEpoch?: number
  readonly epochMs?: number
  readonly epochs: readonly NodeTrafficEpoch[]
  readonly receiptsHeld: number
  /** Rewards settled whose root is not posted yet, STOS wei. */
  readonly pending: string
  /** Posted and not claimed, STOS wei. */
  readonly claimable: string
  /** Claimed (by this node, or found claimed on chain), STOS wei. */
  readonly claimed: string
}

/** The sources of {@link createNodeTrafficStatus}; each is optional (a part not running reports nothing). */
export interface NodeTrafficStatusComponents {
  readonly account: string
  readonly network?: number
  readonly served?: ServedTraffic
  /** Receipts held for libp2p traffic (the receipt protocol's hold store `list()`). */
  readonly receipts?: () => Promise<readonly HeldReceiptView[]>
  /** Self-report outcomes by epoch. */
  readonly selfReports?: () => ReadonlyMap<number, SelfReportState>
  /** The meta service's last status for this account (the claimer's), and the claims made. */
  readonly rewards?: () => TrafficStatusView | undefined
  readonly claims?: () => readonly ClaimedEpoch[]
}

/** Builds the node's traffic status for the JSON route and the metrics. */
export interface NodeTrafficStatusSource {
  status(): Promise<NodeTrafficStatus>
}

/**
 * Gathers the node's own Proof of Traffic figures: per epoch, libp2p bytes with receipts, gateway bytes
 * self-reported, receipts held, and rewards pending, claimable and claimed.
 *
 * @example
 * ```ts
 * const traffic = createNodeTrafficStatus({ account: key.evmAddress, served, receipts: () => hold.list() })
 * await traffic.status()
 * ```
 */
export function createNodeTrafficStatus(c: NodeTrafficStatusComponents): NodeTrafficStatusSource {
  return {
    async status() {
      const perEpoch = new Map<number, { libp2p: bigint; receipts: number; gateway: bigint }>()
      const at = (epoch: number) => {
        let e = perEpoch.get(epoch)
        if (!e) {
          e = { libp2p: 0n, receipts: 0, gateway: 0n }
          perEpoch.set(epoch, e)
        }
        return e
      }
      const held = (await c.receipts?.()) ?? []
      for (const h of held) {
        const e = at(h.receipt.epoch)
        e.libp2p += BigInt(h.receipt.bytes)
        e.receipts++
      }
      for (const s of c.served?.epochs() ?? []) at(s.epoch).gateway += s.bytes
      const view = c.rewards?.()
      const claims = new Map((c.claims?.() ?? []).map((x) => [x.epoch, x]))
      const rewardOf = new Map((view?.epochs ?? []).map((e) => [e.epoch, e]))
      for (const e of rewardOf.keys()) at(e)
      for (const e of claims.keys()) at(e)
      const reports = c.selfReports?.() ?? new Map<number, SelfReportState>()
      const current = view?.currentEpoch ?? c.served?.currentEpoch()
      let claimable = 0n
      let claimed = 0n
      let pending = 0n
      const epochs = [...perEpoch.entries()]
        .sort(([a], [b]) => a - b)
        .map(([epoch, v]): NodeTrafficEpoch => {
          const r = rewardOf.get(epoch)
          const claim = claims.get(epoch)
          const reward = claim?.amount ?? BigInt(r?.reward ?? '0')
          let state: NodeTrafficEpoch['state'] =
            current !== undefined && epoch >= current ? 'open' : 'submitted'
          if (claim || r?.claimed) {
            state = 'claimed'
            claimed += reward
          } else if (r?.settled && r.rootPosted) {
            state = 'claimable'
            claimable += reward
          } else if (r?.settled) {
            state = 'settled'
            pending += reward
          }
          return {
            epoch,
            libp2pBytes: v.libp2p.toString(),
            receipts: v.receipts,
            gatewayBytes: v.gateway.toString(),
            selfReport: reports.get(epoch) ?? (v.gateway > 0n ? 'pending' : 'none'),
            reward: reward.toString(),
            state,
          }
        })
      return {
        account: c.account,
        ...(c.network !== undefined ? { network: c.network } : {}),
        ...(current !== undefined ? { currentEpoch: current } : {}),
        ...(view ? { epochMs: view.epochMs } : {}),
        epochs,
        receiptsHeld: held.length,
        pending: pending.toString(),
        claimable: claimable.toString(),
        claimed: claimed.toString(),
      }
    },
  }
}
