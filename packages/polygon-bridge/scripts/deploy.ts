// Deploys our contracts onto an existing network's Polygon infrastructure and prints the address-book entries.
// Usage (never run against a live network from this repo's CI):
//   NETWORK=amoy ETHEREUM_RPC_URL=… POLYGON_RPC_URL=… DEPLOYER_KEY=0x… COMMITTEE=0xa,0xb,0xc THRESHOLD=2 \
//   [STOS=0x…] [OWNER=0x…] [SETTLER=0x…] npm run deploy -w @stratos-edge/polygon-bridge
import { ADDRESS_BOOK, type NetworkName } from '../src/address-book.js'
import { connectWithPrivateKey } from '../src/connection.js'
import { deployBridge } from '../src/deploy.js'

function env(name: string): string {
  const value = process.env[name]
  if (!value) throw new Error(`set ${name}`)
  return value
}

const network = env('NETWORK') as NetworkName
if (network === 'local')
  throw new Error('local chains deploy themselves: use startLocalChains or npm run start:local')
const book = ADDRESS_BOOK[network]
if (!book) throw new Error(`unknown network ${network}`)
const key = env('DEPLOYER_KEY')
const ethereum = connectWithPrivateKey({
  rpcUrl: env('ETHEREUM_RPC_URL'),
  chainId: book.ethereum.chainId,
  privateKey: key,
})
const polygon = connectWithPrivateKey({
  rpcUrl: env('POLYGON_RPC_URL'),
  chainId: book.polygon.chainId,
  privateKey: key,
})
const stos = process.env.STOS ?? book.ethereum.stos
if (!stos || !book.ethereum.fxRoot || !book.ethereum.checkpointManager || !book.polygon.fxChild) {
  throw new Error(`the ${network} address book lacks STOS, FxRoot, the checkpoint manager or FxChild`)
}
const deployed = await deployBridge({
  ethereum,
  polygon,
  stos,
  fxRoot: book.ethereum.fxRoot,
  fxChild: book.polygon.fxChild,
  checkpointManager: book.ethereum.checkpointManager,
  committee: env('COMMITTEE').split(','),
  threshold: Number(env('THRESHOLD')),
  ...(process.env.OWNER ? { owner: process.env.OWNER } : {}),
  ...(process.env.SETTLER ? { settler: process.env.SETTLER } : {}),
})
console.log(JSON.stringify({ network, stos, ...deployed }, null, 2))
