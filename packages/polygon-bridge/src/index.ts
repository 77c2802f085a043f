/**
 * @packageDocumentation
 * `@stratos-edge/polygon-bridge`: STOS on Polygon for Stratos Edge. Contracts (Solidity 0.8, OpenZeppelin 5)
 * to bridge STOS between Ethereum and Polygon (Polygon PoS call shape and an FxPortal-style tunnel, since STOS
 * is not mapped), prepay storage (`StoragePayments`) and claim Proof-of-Traffic rewards (`TrafficRewards`);
 * a typed ethers v6 client for browsers (EIP-1193 wallets) and Node (keys); and a payment watcher that credits
 * each prepayment exactly once after N confirmations. Node-only parts: `/node` (file store) and `/local`
 * (anvil chains + deployment).
 *
 * @example
 * ```ts
 * import { ADDRESS_BOOK, createBridgeClient } from '@stratos-edge/polygon-bridge'
 *
 * const client = createBridgeClient({
 *   ethereum: { eip1193: window.ethereum },
 *   polygon: { eip1193: window.ethereum },
 *   addresses: ADDRESS_BOOK.local,
 * })
 * await client.deposit({ amount: 5n * 10n ** 18n })          // Ethereum → Polygon (tunnel)
 * await client.prepay({ beneficiary: 'st1rfjz7r3u8t65teavh5utquj3kwvsj983l3hnfd', amount: 10n ** 18n })
 * ```
 */

export {
  ADDRESS_BOOK,
  type BridgeAddresses,
  type EthereumAddresses,
  LOCAL_ETHEREUM_CHAIN_ID,
  LOCAL_POLYGON_CHAIN_ID,
  type NetworkName,
  type PolygonAddresses,
} from './address-book.js'
export {
  type BridgeClient,
  type BridgeClientInit,
  type BridgeRoute,
  createBridgeClient,
  type DepositResult,
  type EpochRootInfo,
  type Prepayment,
  type RewardClaim,
  type TxResult,
  type WithdrawStartResult,
} from './bridge-client.js'
export {
  buildCheckpointTree,
  buildExitPayload,
  type CheckpointHeader,
  type CheckpointTree,
  checkpointLeaf,
  type ExitPayloadInit,
  encodeExitPayload,
  fetchCheckpointHeaders,
  type RpcSender,
} from './checkpoint-proof.js'
export {
  type ChainConnection,
  connectWithPrivateKey,
  type Eip1193Provider,
  type ResolvedChain,
  resolveChain,
} from './connection.js'
export {
  type BytecodeOverrides,
  type DeployBridgeInit,
  type DeployLocalInit,
  deployBridge,
  deployLocal,
  ERC20_TOKEN_TYPE,
  encodeDepositData,
  type LocalDeployment,
} from './deploy.js'
export {
  AlreadyClaimedError,
  ContractPausedError,
  ContractRevertedError,
  DeepReorgError,
  decodeContractError,
  ExitAlreadyProcessedError,
  FutureEpochError,
  InsufficientBalanceError,
  InvalidExitProofError,
  InvalidProofError,
  InvalidSignatureSetError,
  NoSignerError,
  NotCheckpointedError,
  NotCommitteeMemberError,
  NotDeployedError,
  PaymentClosedError,
  RefundTooEarlyError,
  StaleEpochError,
  TokenPausedError,
  TransactionReplacedError,
  TransactionTimeoutError,
  UnauthorizedError,
  UnknownEpochError,
  WithdrawalNotFoundError,
  WrongChainError,
} from './errors.js'
export { artifacts, type ContractName } from './generated/artifacts.js'
export {
  createMemoryWatcherStore,
  createPaymentWatcher,
  type PaymentCredit,
  type PaymentWatcher,
  type PaymentWatcherComponents,
  type PaymentWatcherInit,
  type PaymentWatcherState,
  type PaymentWatcherStore,
  type RefundDebit,
} from './payment-watcher.js'
export {
  buildReceiptTrie,
  encodeReceipt,
  type ReceiptTrie,
  type RpcReceipt,
  receiptTrieKey,
} from './receipt-trie.js'
export {
  type CommitteeSignature,
  EPOCH_ROOT_TYPES,
  type EpochRootValue,
  recoverEpochRootSigner,
  signEpochRoot,
  sortSignatures,
} from './reward-signatures.js'
