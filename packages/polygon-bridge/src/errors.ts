import { defineErrorClass, StratosEdgeError, type StratosEdgeErrorOptions } from '@stratos-edge/core'
import { Interface } from 'ethers'
import { artifacts } from './generated/artifacts.js'

/**
 * A contract call reverted. `reason` is the decoded custom error name (e.g. `AlreadyClaimed`) or the
 * `Error(string)` message, `args` its decoded arguments. More specific subclasses below share these fields.
 */
export class ContractRevertedError extends StratosEdgeError {
  static override readonly errorName: string = 'ContractRevertedError'
  override name = 'ContractRevertedError'
  /** Decoded custom error name or revert string; `unknown` when the revert data matched no known ABI. */
  readonly reason: string
  /** Decoded error arguments, in ABI order. */
  readonly args: readonly unknown[]
  /** Raw revert data (hex). */
  readonly data: string | undefined

  constructor(
    reason: string,
    args: readonly unknown[],
    data: string | undefined,
    advice?: string,
    options: StratosEdgeErrorOptions = {},
  ) {
    super(`Contract call reverted: ${reason}(${args.map(String).join(', ')})`, advice, options)
    this.reason = reason
    this.args = args
    this.data = data
  }
}

function defineRevert(name: string, advice: string): typeof ContractRevertedError {
  const cls = class extends ContractRevertedError {
    static override readonly errorName = name
    override name = name
    constructor(
      reason: string,
      args: readonly unknown[],
      data: string | undefined,
      _advice?: string,
      options?: StratosEdgeErrorOptions,
    ) {
      super(reason, args, data, advice, options)
    }
  }
  Object.defineProperty(cls, 'name', { value: name })
  return cls
}

/** The STOS token itself is paused (approve/transfer revert); nothing changed on chain. */
export class TokenPausedError extends defineRevert(
  'TokenPausedError',
  'The STOS token is paused by its owner; retry when it is unpaused',
) {}
/** One of our contracts (payments or rewards) is paused by its owner. */
export class ContractPausedError extends defineRevert(
  'ContractPausedError',
  'The contract is paused by its owner; retry later',
) {}
/** The account has fewer tokens than the call moves. */
export class InsufficientBalanceError extends defineRevert(
  'InsufficientBalanceError',
  'Top up the account or lower the amount',
) {}
/** The reward for this epoch and account was already claimed. */
export class AlreadyClaimedError extends defineRevert(
  'AlreadyClaimedError',
  'Nothing to do: it was paid once',
) {}
/** The Merkle proof does not prove (epoch, account, amount) against the posted root. */
export class InvalidProofError extends defineRevert(
  'InvalidProofError',
  'Rebuild the proof from the epoch volume report the meta service published',
) {}
/** A withdrawal exit proof does not verify (receipt not in the block, or block not in the checkpoint). */
export class InvalidExitProofError extends defineRevert(
  'InvalidExitProofError',
  'Rebuild the exit payload from the Polygon chain with buildExitPayload',
) {}
/** No root has been posted for this epoch yet. */
export class UnknownEpochError extends defineRevert(
  'UnknownEpochError',
  'Wait until the committee posts the root',
) {}
/** The epoch is at or below the last posted epoch. */
export class StaleEpochError extends defineRevert(
  'StaleEpochError',
  'Epochs are strictly increasing: post only epochs above lastEpoch()',
) {}
/** The epoch has not ended yet. */
export class FutureEpochError extends defineRevert(
  'FutureEpochError',
  'Only epochs below currentEpoch() (already ended) can be posted',
) {}
/** A signature recovered to an address outside the committee (wrong key, wrong chain or wrong contract). */
export class NotCommitteeMemberError extends defineRevert(
  'NotCommitteeMemberError',
  'Sign with a committee key over the domain returned by eip712Domain() on this chain',
) {}
/** Too few signatures, or not sorted ascending by signer (duplicates). */
export class InvalidSignatureSetError extends defineRevert(
  'InvalidSignatureSetError',
  'Send at least threshold() signatures of distinct members, sorted by signer address',
) {}
/** The withdrawal is not yet covered by a checkpoint on Ethereum. */
export class NotCheckpointedError extends defineRevert(
  'NotCheckpointedError',
  'Wait for the next checkpoint (about 30 minutes on Polygon) and retry the exit',
) {}
/** This withdrawal was already exited on Ethereum. */
export class ExitAlreadyProcessedError extends defineRevert(
  'ExitAlreadyProcessedError',
  'Nothing to do: the STOS was released once',
) {}
/** A refund was asked before the refund delay ran out. */
export class RefundTooEarlyError extends defineRevert(
  'RefundTooEarlyError',
  'Retry after the time in args[0] (unix seconds)',
) {}
/** The payment was already refunded (closed). */
export class PaymentClosedError extends defineRevert('PaymentClosedError', 'The payment is closed') {}
/** The caller lacks the role the function requires (owner, settler, payer, deployer). */
export class UnauthorizedError extends defineRevert(
  'UnauthorizedError',
  'Send from the authorised account',
) {}

/** A contract the call needs has no address in the address book for this network. */
export class NotDeployedError extends defineErrorClass('NotDeployedError') {}
/** The withdrawal burn could not be found or is not a withdrawal. */
export class WithdrawalNotFoundError extends defineErrorClass('WithdrawalNotFoundError') {}
/** The connected wallet or provider is on another chain than expected. */
export class WrongChainError extends defineErrorClass('WrongChainError') {}
/** A state-changing call was made with a read-only provider. */
export class NoSignerError extends defineErrorClass('NoSignerError') {}
/** A reorg went deeper than the watcher's confirmation depth: a credited payment may have vanished. */
export class DeepReorgError extends defineErrorClass('DeepReorgError') {}
/** A sent transaction was not mined (no receipt) within the time allowed; it may still be pending. */
export class TransactionTimeoutError extends defineErrorClass('TransactionTimeoutError') {}
/** A sent transaction's nonce was used by another transaction (sped up or cancelled in the wallet). */
export class TransactionReplacedError extends defineErrorClass('TransactionReplacedError') {}

const REVERT_CLASSES: Record<string, typeof ContractRevertedError> = {
  EnforcedPause: ContractPausedError,
  ERC20InsufficientBalance: InsufficientBalanceError,
  AlreadyClaimed: AlreadyClaimedError,
  InvalidProof: InvalidProofError,
  InvalidReceiptProof: InvalidExitProofError,
  InvalidBlockProof: InvalidExitProofError,
  InvalidBranchMask: InvalidExitProofError,
  UnknownEpoch: UnknownEpochError,
  StaleEpoch: StaleEpochError,
  FutureEpoch: FutureEpochError,
  NotCommitteeMember: NotCommitteeMemberError,
  NotEnoughSignatures: InvalidSignatureSetError,
  SignersNotAscending: InvalidSignatureSetError,
  UnknownCheckpoint: NotCheckpointedError,
  BlockNotInCheckpoint: NotCheckpointedError,
  ExitAlreadyProcessed: ExitAlreadyProcessedError,
  RefundTooEarly: RefundTooEarlyError,
  PaymentClosed: PaymentClosedError,
  OwnableUnauthorizedAccount: UnauthorizedError,
  NotSettler: UnauthorizedError,
  NotPayer: UnauthorizedError,
  NotDeployer: UnauthorizedError,
}

let errorInterface: Interface | undefined
function allErrors(): Interface {
  if (errorInterface) return errorInterface
  const seen = new Set<string>()
  const fragments: unknown[] = []
  for (const artifact of Object.values(artifacts)) {
    for (const item of artifact.abi as unknown as readonly {
      type: string
      name?: string
      inputs?: unknown
    }[]) {
      if (item.type !== 'error') continue
      const key = `${item.name}(${JSON.stringify(item.inputs)})`
      if (seen.has(key)) continue
      seen.add(key)
      fragments.push(item)
    }
  }
  errorInterface = new Interface(fragments as never)
  return errorInterface
}

function findRevertData(err: unknown, depth = 0): string | undefined {
  if (depth > 6 || typeof err !== 'object' || err === null) return undefined
  const e = err as { data?: unknown; error?: unknown; info?: unknown; cause?: unknown }
  if (typeof e.data === 'string' && e.data.startsWith('0x') && e.data.length >= 10) return e.data
  if (typeof e.data === 'object' && e.data !== null) {
    const inner = findRevertData(e.data, depth + 1)
    if (inner) return inner
  }
  return (
    findRevertData(e.error, depth + 1) ??
    findRevertData(e.info, depth + 1) ??
    findRevertData(e.cause, depth + 1)
  )
}

/**
 * Turns an ethers error from a reverted call or transaction into a typed error with the decoded reason.
 * `tokenAddresses` marks calls whose `EnforcedPause` came from the STOS token (→ {@link TokenPausedError}).
 * Errors that are not reverts are returned unchanged.
 *
 * @example
 * ```ts
 * try { await client.claimReward(claim) } catch (err) {
 *   if ((err as Error).name === 'AlreadyClaimedError') console.log('paid already')
 * }
 * ```
 */
export function decodeContractError(err: unknown, options: { tokenPaused?: boolean } = {}): unknown {
  if (typeof err === 'object' && err !== null && err instanceof ContractRevertedError) return err
  const data = findRevertData(err)
  const code = (err as { code?: unknown } | null)?.code
  if (!data) {
    if (code === 'CALL_EXCEPTION') {
      const reason = (err as { reason?: string }).reason ?? 'unknown'
      return new ContractRevertedError(reason, [], undefined, undefined, { cause: err })
    }
    return err
  }
  let reason = 'unknown'
  let args: unknown[] = []
  if (data.startsWith('0x08c379a0')) {
    reason = String(Interface.from(['error Error(string)']).decodeErrorResult('Error', data)[0])
  } else {
    try {
      const parsed = allErrors().parseError(data)
      if (parsed) {
        reason = parsed.name
        args = [...parsed.args]
      }
    } catch {
      reason = 'unknown'
    }
  }
  let cls = REVERT_CLASSES[reason] ?? ContractRevertedError
  if (reason === 'EnforcedPause' && options.tokenPaused) cls = TokenPausedError
  return new cls(reason, args, data, undefined, { cause: err })
}
