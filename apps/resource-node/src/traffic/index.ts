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
export { capByTicket, type EpochRewardsInit, type EpochSelfReports, settleEpoch } from './epoch-rewards.js'
export {
  CommitteeTooSmallError,
  EpochNotDueError,
  InvalidSelfReportError,
  NoRewardError,
  SettlementStoreClosedError,
} from './errors.js'
export {
  DEFAULT_MAX_OWNERS_PER_NODE,
  NODE_OWNERS_FILE,
  type NodeOwnerBook,
  type NodeOwnerBookInit,
  type NodeOwnerKeepOutcome,
  openNodeOwnerBook,
} from './node-owner-book.js'
export {
  checkNodeOwnerBinding,
  type NodeOwnerRejectReason,
  registerEncodedNodeOwner,
} from './node-owner-rules.js'
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
export {
  decodeSelfReport,
  encodeSelfReport,
  MAX_SELF_REPORT_ENTRIES,
  type SelfReport,
  type SelfReportEntry,
  type SelfReportFields,
  selfReportEntriesDigest,
  selfReportId,
  selfReportSignatureValid,
  selfReportTypedData,
  signSelfReport,
} from './self-report.js'
export { selfReportParts, submitEncodedSelfReport } from './self-report-intake.js'
export {
  type CappedSelfReports,
  capSelfReports,
  checkSelfReport,
  DEFAULT_SELF_REPORT_WEIGHT_BPS,
  type HeldSelfReportEntry,
  type SelfReportContext,
  type SelfReportRejectReason,
} from './self-report-rules.js'
export { SETTLEMENT_MIGRATIONS } from './settlement-schema.js'
export type {
  HeldReceipt,
  HoldOutcome,
  PruneResult,
  SelfReportedVolume,
  SelfReportHoldOutcome,
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
  createTicketPruner,
  DEFAULT_PRUNE_BATCH,
  type TicketPrunerComponents,
  type TicketPrunerInit,
} from './ticket-pruner.js'
export {
  createTrafficSettlement,
  type OzoneCharger,
  type ReceiptVerifier,
  type RewardProof,
  type SelfReportResult,
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
