/**
 * The payment code, loaded only when a creator accepts a prepay offer (its own chunk, with ethers and the
 * bridge client): approve + prepay STOS to `StoragePayments` on Polygon through `@stratos-edge/polygon-bridge`.
 */
import {
  ADDRESS_BOOK,
  type BridgeAddresses,
  type ChainConnection,
  createBridgeClient,
  type NetworkName,
} from '@stratos-edge/polygon-bridge'
import type { PrepayReceipt } from './ozone-offer.js'

/** Options of {@link prepayOzone}. */
export interface PrepayOzoneInit {
  /** Who pays on Polygon: `{ eip1193: window.ethereum }` or an ethers signer. */
  payer: ChainConnection
  /** The bridge's contracts: a network of the address book, or addresses. */
  network: NetworkName | BridgeAddresses
  /** The account credited with ozone (`st1…` or `0x…`). */
  beneficiary: string
  /** STOS in wei (18 decimals). */
  amount: bigint
}

/**
 * Approves the payment token if needed and prepays `amount` for `beneficiary`; resolves once mined.
 *
 * @example
 * ```ts
 * const receipt = await prepayOzone({ payer: { eip1193: window.ethereum }, network: 'amoy', beneficiary, amount: 10n ** 19n })
 * ```
 */
export async function prepayOzone(init: PrepayOzoneInit): Promise<PrepayReceipt> {
  const addresses = typeof init.network === 'string' ? ADDRESS_BOOK[init.network] : init.network
  // Only Polygon is used to prepay; the client still wants an Ethereum side, so the payer serves both.
  const client = createBridgeClient({ ethereum: init.payer, polygon: init.payer, addresses })
  const paid = await client.prepay({ beneficiary: init.beneficiary, amount: init.amount })
  return {
    hash: paid.hash,
    blockNumber: paid.blockNumber,
    paymentId: paid.paymentId,
    beneficiary: init.beneficiary,
    amount: init.amount,
  }
}
