import type { TypedDataDomain } from './typed-data.js'

/**
 * EIP-712 domain of off-chain Stratos Edge records (manifests, tickets, receipts). It has no chain id:
 * these records are about content and traffic, valid whatever chain settles them. On-chain records
 * (reward roots) use a domain with chain id and contract address instead.
 */
export const STRATOS_EDGE_DOMAIN: TypedDataDomain = Object.freeze({ name: 'Stratos Edge', version: '1' })
