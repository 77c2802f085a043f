import type { TypedDataDomain } from './typed-data.js'

/**
 * EIP-712 domain of off-chain Stratos Edge records (manifests, tickets, receipts). It has no chain id:
 * these records are about content and traffic, valid whatever chain settles them. On-chain records
 * (reward roots) use a domain with chain id and contract address instead.
 */
export const STRATOS_EDGE_DOMAIN: TypedDataDomain = Object.freeze({ name: 'Stratos Edge', version: '1' })

/**
 * EIP-712 domain of records that spend or earn on one network: upload tickets, ticket requests and
 * traffic receipts. Its chain id is the network id (the chain that settles the network's payments, e.g.
 * Polygon's 137), so a meta service key's ticket for one network is worth nothing on another.
 *
 * @example
 * ```ts
 * networkDomain(137) // { name: 'Stratos Edge', version: '1', chainId: 137 }
 * ```
 */
export function networkDomain(network: number): TypedDataDomain {
  return { ...STRATOS_EDGE_DOMAIN, chainId: network }
}
