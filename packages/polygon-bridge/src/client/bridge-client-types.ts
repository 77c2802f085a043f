/** Types of the bridge client: its options, results and the client's surface. */
import type { TypedDataDomain } from 'ethers'
import type { BridgeAddresses } from '../address-book.js'
import type { ChainConnection } from '../connection.js'
import type { EpochRootValue } from '../reward-signatures.js'

/** How STOS crosses: our FxPortal-style tunnel (works today: STOS is not mapped) or Polygon PoS mapping. */
export type BridgeRoute = 'tunnel' | 'pos'

/** Options of `createBridgeClient`. */
export interface BridgeClientInit {
  ethereum: ChainConnection
  polygon: ChainConnection
  addresses: BridgeAddresses
  /**
   * How long to wait for a sent transaction to be mined before failing with a `TransactionTimeoutError`;
   * default 5 minutes.
   */
  txTimeoutMs?: number
}

/** A sent and mined transaction. */
export interface TxResult {
  hash: string
  blockNumber: number
}

/** A deposit on Ethereum; `stateId` is the state-sync id that Polygon will deliver. */
export interface DepositResult extends TxResult {
  route: BridgeRoute
  stateId: bigint | undefined
}

/** A withdrawal burn on Polygon, to be exited on Ethereum after a checkpoint. */
export interface WithdrawStartResult extends TxResult {
  route: BridgeRoute
  logIndex: number
}

/** A prepayment as the chain records it. */
export interface Prepayment {
  paymentId: bigint
  payer: string
  beneficiary: string
  amount: bigint
  spent: bigint
  refunded: boolean
  paidAt: number
  txHash: string
  blockNumber: number
  logIndex: number
}

/** A posted epoch root. */
export interface EpochRootInfo {
  epoch: bigint
  root: string
  total: bigint
  claimed: bigint
  postedAt: number
}

/** A reward claim: the leaf and its proof from the epoch's reward tree. */
export interface RewardClaim {
  epoch: number | bigint
  /** `st1…` or `0x…`; the STOS goes to this account whoever sends the claim. */
  account: string
  amount: bigint
  proof: readonly string[]
}

/** The typed client over both chains. Amounts are STOS wei (18 decimals). Every revert throws a typed error. */
export interface BridgeClient {
  readonly addresses: BridgeAddresses
  /** STOS on Ethereum, or bridged STOS on Polygon (the payment token). */
  stosBalance(chain: 'ethereum' | 'polygon', account: string): Promise<bigint>
  /** Locks STOS on Ethereum (approving the tunnel or the PoS predicate first when needed). */
  deposit(init: { amount: bigint; to?: string; route?: BridgeRoute }): Promise<DepositResult>
  /** Burns on Polygon to start a withdrawal to `to` (tunnel) or to the sender (PoS). */
  startWithdraw(init: { amount: bigint; to?: string; route?: BridgeRoute }): Promise<WithdrawStartResult>
  /** True once a checkpoint on Ethereum covers the burn's block. */
  isWithdrawCheckpointed(burnTxHash: string): Promise<boolean>
  /** Proves the burn against its checkpoint and releases STOS on Ethereum. */
  exitWithdraw(init: { burnTxHash: string; route?: BridgeRoute }): Promise<TxResult>
  /** Prepays ozone for `beneficiary` (`st1…` or `0x…`): approve + prepay. */
  prepay(init: {
    beneficiary: string
    amount: bigint
  }): Promise<TxResult & { paymentId: bigint; logIndex: number }>
  /** Prepayments whose beneficiary is `account`, with their current settlement state. */
  prepaymentsOf(account: string, options?: { fromBlock?: number }): Promise<Prepayment[]>
  /** The settler (meta service) records that traffic used `spent` STOS of a prepayment in total. */
  settlePrepayment(paymentId: bigint, spent: bigint): Promise<TxResult>
  /** The payer takes back the unsettled rest of a prepayment (after the refund delay). */
  refundPrepayment(paymentId: bigint): Promise<TxResult & { amount: bigint }>
  /** The EIP-712 domain committee members sign epoch roots under (read from the contract, ERC-5267). */
  rewardsDomain(): Promise<TypedDataDomain>
  /** The posted root of `epoch`, or undefined. */
  epochRoot(epoch: number | bigint): Promise<EpochRootInfo | undefined>
  /** The last posted epoch (0 when none) and the running epoch. */
  epochs(): Promise<{ lastPosted: bigint; current: bigint }>
  /** Posts an epoch root with committee signatures (sorted ascending by signer). */
  postEpochRoot(init: EpochRootValue & { signatures: readonly string[] }): Promise<TxResult>
  /** Claims a reward with its Merkle proof. */
  claimReward(claim: RewardClaim): Promise<TxResult>
  isRewardClaimed(epoch: number | bigint, account: string): Promise<boolean>
}
