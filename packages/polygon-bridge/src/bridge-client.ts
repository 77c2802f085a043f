/** The bridge client: one typed client over Ethereum and Polygon, composed from its parts in `client/`. */

import type { BridgeClient, BridgeClientInit } from './client/bridge-client-types.js'
import { createContractCalls } from './client/contract-calls.js'
import { paymentCalls } from './client/payment-calls.js'
import { rewardCalls } from './client/reward-calls.js'
import { transferCalls } from './client/transfer-calls.js'

export type {
  BridgeClient,
  BridgeClientInit,
  BridgeRoute,
  DepositResult,
  EpochRootInfo,
  Prepayment,
  RewardClaim,
  TxResult,
  WithdrawStartResult,
} from './client/bridge-client-types.js'

/**
 * Creates the bridge client.
 *
 * @example
 * ```ts
 * import { ADDRESS_BOOK, connectWithPrivateKey, createBridgeClient } from '@stratos-edge/polygon-bridge'
 *
 * const book = ADDRESS_BOOK.local
 * const client = createBridgeClient({
 *   ethereum: connectWithPrivateKey({ rpcUrl: 'http://127.0.0.1:8545', chainId: book.ethereum.chainId, privateKey }),
 *   polygon: connectWithPrivateKey({ rpcUrl: 'http://127.0.0.1:8546', chainId: book.polygon.chainId, privateKey }),
 *   addresses: book,
 * })
 * await client.deposit({ amount: 10n ** 18n })
 * await client.prepay({ beneficiary: 'st1rfjz7r3u8t65teavh5utquj3kwvsj983l3hnfd', amount: 10n ** 18n })
 * ```
 */
export function createBridgeClient(init: BridgeClientInit): BridgeClient {
  const calls = createContractCalls(init)
  return {
    addresses: init.addresses,
    ...paymentCalls(calls),
    ...transferCalls(calls),
    ...rewardCalls(calls),
  }
}
