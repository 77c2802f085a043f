// Upload tickets in `npm start`: every stored byte needs a ticket, as on a real network.
//   - the meta node (resource node 1) signs tickets for the local Polygon's chain id, credits
//     StoragePayments prepayments after one confirmation, and lists resource node 2 in its registry;
//   - resource node 2 accepts the meta node's tickets (its address comes from the meta's ready line);
//   - the pages get the network id, so their light nodes ask for tickets.
// A LOCAL-DEMO ALLOWANCE: the meta node also gives every owner some free ozone (`--free-ozone`), so the
// pages upload out of the box with the browser's own node key, no wallet needed. A real network has none.
import { mkdirSync } from 'node:fs'

/** Free ozone per owner in `npm start` (1 noz per stored byte): the local-demo allowance. */
export const DEFAULT_FREE_OZONE = '256m'

/** What `npm start -- --help` says about tickets. */
export const TICKETS_HELP = `Upload tickets:
  Every upload needs a ticket from the meta service (resource node 1), paid in ozone: STOS prepaid to
  StoragePayments on the local Polygon, credited after 1 confirmation. As a local-demo allowance only,
  every owner (a browser's own node key too) may also store 256 MiB in total for free.
  --free-ozone <n>        that free allowance per owner in bytes (default ${DEFAULT_FREE_OZONE}; 0 = pay for
                          everything; suffixes k, m, g)
  With --ethereum-rpc/--polygon-rpc the nodes run without tickets (their contracts are not known).`

/**
 * The peer id resource node 2 will have: its key is created now in its data directory (the node loads the
 * same file), so the meta node can list it as a resource node before it starts.
 */
export async function peerIdOfNode(nodeDataDir) {
  const { loadOrCreatePeerKey } = await import('@stratos-edge/resource-node')
  mkdirSync(nodeDataDir, { recursive: true })
  const key = await loadOrCreatePeerKey(nodeDataDir)
  return key.publicKey.toString()
}

/**
 * The meta node's ticket flags for local chains, or none for given ones.
 * @param {{ chains: { external?: boolean, polygon: { rpcUrl: string, chainId: number },
 *   addresses: { polygon?: { storagePayments?: string } } }, freeOzone: string, resourcePeers: string[] }} init
 */
export function metaTicketArgs({ chains, freeOzone, resourcePeers }) {
  const storagePayments = chains.addresses.polygon?.storagePayments
  if (chains.external || !storagePayments) return []
  return [
    ...['--network', String(chains.polygon.chainId)],
    ...['--polygon-rpc', chains.polygon.rpcUrl, '--storage-payments', storagePayments],
    ...['--confirmations', '1'],
    ...['--free-ozone', freeOzone],
    ...resourcePeers.flatMap((peer) => ['--resource-peer', peer]),
  ]
}

/** Resource node 2's ticket flags: the meta node's network and address, from its ready line. */
export function nodeTicketArgs(chains, metaReady) {
  if (!metaReady.ticketIssuer) return []
  return ['--network', String(chains.polygon.chainId), '--ticket-issuer', metaReady.ticketIssuer]
}

/** The summary's line about tickets. */
export function ticketSummary(chains, metaReady, freeOzone) {
  if (!metaReady.ticketIssuer) return '  upload tickets           off (given chains)'
  return (
    `  upload tickets           on: network ${chains.polygon.chainId}, meta ${metaReady.ticketIssuer}\n` +
    `                           free ozone per owner ${freeOzone} (a local-demo allowance; --free-ozone 0 turns it off)`
  )
}

/** The pages' `network` config: the id their light nodes sign ticket requests for, when tickets are on. */
export function pageNetwork(chains, metaReady) {
  return metaReady.ticketIssuer ? { network: chains.polygon.chainId } : {}
}
