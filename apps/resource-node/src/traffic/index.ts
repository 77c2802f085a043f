/**
 * @packageDocumentation
 * Proof of Traffic settlement in the meta service: providers submit their downloaders' latest cumulative
 * receipts; each epoch is settled once into a volume report, ozone charges, rewards (stratos-chain's
 * formulas) and a reward Merkle root posted to `TrafficRewards` by M of N committee keys.
 *
 * @example
 * ```ts
 * const settlement = createTrafficSettlement(
 *   { clock: { genesisMs, epochMs: 600_000 }, issuers: [meta.evmAddress] },
 *   { store: openSqliteSettlementStore({ dataDir }), tickets, charger, market, poster, logger },
 * )
 * const { accepted, rejected } = await settlement.submit(provider, receipts)
 * settlement.start() // settles each epoch after its late window and posts its root
 * ```
 */
export {
  type CommitteeRootPosterComponents,
  type CommitteeRootPosterInit,
  createCommitteeRootPoster,
  type RootPoster,
} from './committee-root-poster.js'
export { capByTicket, type EpochRewardsInit, settleEpoch } from './epoch-rewards.js'
export {
  CommitteeTooSmallError,
  EpochNotDueError,
  NoRewardError,
  SettlementStoreClosedError,
} from './errors.js'
export { createReceiptDigester, type ReceiptDigester } from './receipt-digest.js'
export {
  checkReceipt,
  isSelfDealing,
  type OwnerOf,
  type ReceiptContext,
  type RejectReason,
  receiptSignatureValid,
  ticketSignatureValid,
} from './receipt-rules.js'
export { SETTLEMENT_MIGRATIONS } from './settlement-schema.js'
export type {
  HeldReceipt,
  HoldOutcome,
  SettledEpoch,
  SettlementStore,
  TrafficCharge,
} from './settlement-store.js'
export {
  createSignerRecovery,
  type SignerRecovery,
  type SignerRecoveryInit,
} from './signer-recovery.js'
export {
  openSqliteSettlementStore,
  SETTLEMENT_FILE,
  type SqliteSettlementStoreInit,
} from './sqlite-settlement-store.js'
export {
  createTrafficSettlement,
  type OzoneCharger,
  type ReceiptVerifier,
  type RewardProof,
  type SubmitResult,
  type TicketBook,
  type TicketVerifier,
  type TrafficSettlement,
  type TrafficSettlementComponents,
  type TrafficSettlementInit,
} from './traffic-settlement.js'
export {
  createWorkerReceiptVerifier,
  type WorkerReceiptVerifier,
  type WorkerReceiptVerifierInit,
} from './worker-receipt-verifier.js'
