import { defineErrorClass } from '@stratos-edge/core'

/** An epoch was asked to settle before its late window closed; settle it after. */
export class EpochNotDueError extends defineErrorClass('EpochNotDueError') {}
/** The settlement store was used after `close()`. */
export class SettlementStoreClosedError extends defineErrorClass('SettlementStoreClosedError') {}
/**
 * A reward proof was asked for an epoch that is not settled, or an account with no reward in it (the
 * protocol's class, so it keeps its name across the index protocol's ERROR frame).
 */
export { NoRewardError } from '@stratos-edge/protocol'
/** Too few committee keys to sign an epoch root (fewer than the contract's threshold). */
export class CommitteeTooSmallError extends defineErrorClass('CommitteeTooSmallError') {}
/** A gateway self-report is malformed: bad shape, unsorted or repeated entries, or undecodable. */
export class InvalidSelfReportError extends defineErrorClass('InvalidSelfReportError') {}
