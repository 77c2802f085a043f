/**
 * @packageDocumentation
 * Node-only local chains for `@stratos-edge/polygon-bridge`: two anvil processes (an "Ethereum" and a
 * "Polygon" on 127.0.0.1), the full deployment, and a relayer that plays Polygon's state sync and checkpoints.
 *
 * @example
 * ```ts
 * import { startLocalChains } from '@stratos-edge/polygon-bridge/local'
 * const chains = await startLocalChains()
 * console.log(chains.ethereum.rpcUrl, chains.polygon.rpcUrl, chains.addresses)
 * await chains.stop()
 * ```
 */
export { type AnvilChain, type AnvilInit, findAnvilBinary, startAnvil } from './anvil.js'
export { type DemoWalletFunding, type FundDemoWalletInit, fundDemoWallet } from './demo-wallet.js'
export { DEMO_NFT_ABI, deployDemoNft } from './deploy-demo-nft.js'
export { createLocalRelayer, type LocalRelayer, type LocalRelayerInit, STATE_SYNCER } from './relayer.js'
export {
  DEV_MNEMONIC,
  DEV_ROLES,
  type DevAccount,
  devAccounts,
  type LocalChains,
  type StartLocalChainsInit,
  startLocalChains,
} from './start-local-chains.js'
