/**
 * The meta service's Proof of Traffic operations as the light node uses them (the index protocol's
 * REQUEST_DOWNLOAD_TICKET, SUBMIT_RECEIPTS, TRAFFIC_STATUS and REWARD_PROOF).
 */

/** One epoch of an account, as the meta service counts it. Amounts are decimal wei strings. */
export interface TrafficEpochStatus {
  epoch: number
  bytes: number
  receipts: number
  reward: string
  settled: boolean
  rootPosted: boolean
  claimed: boolean
}

/** The meta service's epoch clock and, for an account, its epochs and totals. */
export interface TrafficStatus {
  network: number
  genesisMs: number
  epochMs: number
  currentEpoch: number
  lateWindowMs: number
  trafficRewards?: `0x${string}`
  /** The address that signs the meta service's tickets (receipts are credited under its tickets only). */
  ticketIssuer?: `0x${string}`
  epochs: TrafficEpochStatus[]
  pending: string
  claimable: string
  claimed: string
}

/** What `TrafficRewards.claim(epoch, account, amount, proof)` takes. */
export interface RewardProof {
  epoch: number
  account: `0x${string}`
  amount: string
  proof: `0x${string}`[]
}

/** The meta service's verdict on submitted receipts. */
export interface SubmitReceiptsResult {
  accepted: number
  rejected: { index: number; reason: string }[]
}

/** The Proof of Traffic operations of the meta service. */
export interface TrafficIndex {
  /** A download ticket (core's `encodeTicket`) for a downloader-signed request. */
  requestDownloadTicket(request: Uint8Array): Promise<Uint8Array>
  /** Submits up to 1024 encoded receipts this node holds as a provider. */
  submitReceipts(receipts: readonly Uint8Array[]): Promise<SubmitReceiptsResult>
  /** The clock, and with an account its epochs and totals. */
  trafficStatus(account?: string): Promise<TrafficStatus>
  /** The Merkle proof of `account`'s reward in `epoch`; throws `NoRewardError` when there is none. */
  rewardProof(epoch: number, account: string): Promise<RewardProof>
}
