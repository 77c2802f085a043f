#!/usr/bin/env node
// Starts the two local chains with everything deployed and prints their endpoints and addresses as JSON.
import { startLocalChains } from './start-local-chains.js'

const dataDir = process.env.STRATOS_CHAINS_DIR ?? '.data/chains'
const chains = await startLocalChains({
  dataDir,
  ...(process.env.ETHEREUM_PORT ? { ethereumPort: Number(process.env.ETHEREUM_PORT) } : {}),
  ...(process.env.POLYGON_PORT ? { polygonPort: Number(process.env.POLYGON_PORT) } : {}),
})
console.log(
  JSON.stringify(
    { ethereum: chains.ethereum, polygon: chains.polygon, addresses: chains.addresses },
    null,
    2,
  ),
)
const shutdown = (): void => {
  chains.stop().then(() => process.exit(0))
}
process.once('SIGINT', shutdown)
process.once('SIGTERM', shutdown)
