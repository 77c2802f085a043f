/**
 * The meta service's Proof of Traffic operations as the light node uses them (the index protocol's
 * REQUEST_DOWNLOAD_TICKET, SUBMIT_RECEIPTS, TRAFFIC_STATUS and REWARD_PROOF).
 */

import type { RewardProof, SubmitReceiptsResult, TrafficStatus } from '@stratos-edge/protocol'

export type {
  RewardProof,
  SubmitReceiptsResult,
  TrafficEpochStatus,
  TrafficStatus,
} from '@stratos-edge/protocol'

/** The Proof of Traffic operations of the meta service. */
export interface TrafficIndex {
  /**
   * A download ticket (core's `encodeTicket`) for a downloader-signed request; `signal` abandons it
   * (the meta service reserves the owner's ozone only for a ticket it hands out).
   */
  requestDownloadTicket(request: Uint8Array, signal?: AbortSignal): Promise<Uint8Array>
  /** Submits up to 1024 encoded receipts this node holds as a provider. */
  submitReceipts(receipts: readonly Uint8Array[]): Promise<SubmitReceiptsResult>
  /** The clock, and with an account its epochs and totals. */
  trafficStatus(account?: string): Promise<TrafficStatus>
  /** The Merkle proof of `account`'s reward in `epoch`; throws `NoRewardError` when there is none. */
  rewardProof(epoch: number, account: string): Promise<RewardProof>
}
