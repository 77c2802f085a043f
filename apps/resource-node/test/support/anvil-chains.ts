/** Local Ethereum and Polygon anvil chains with the contracts deployed, and providers on them, for tests. */
import { type BridgeClient, createBridgeClient } from '@stratos-edge/polygon-bridge'
import {
  type LocalChains,
  type StartLocalChainsInit,
  startLocalChains,
} from '@stratos-edge/polygon-bridge/local'
import { FetchRequest, JsonRpcProvider, Wallet } from 'ethers'

/** The started chains, a provider on each, and `stop` to close both providers and the chains. */
export interface AnvilChains {
  chains: LocalChains
  eth: JsonRpcProvider
  pol: JsonRpcProvider
  /** A bridge client whose wallets on both chains are anvil account `account`. */
  bridgeClient(account: number): BridgeClient
  stop(): Promise<void>
}

/** A provider polling every 50 ms, never caching, with a 30 s request timeout. */
export function testProvider(url: string, chainId: number): JsonRpcProvider {
  const request = new FetchRequest(url)
  request.timeout = 30_000
  return new JsonRpcProvider(request, chainId, { staticNetwork: true, pollingInterval: 50, cacheTimeout: -1 })
}

/** Starts both chains without the automatic state relay (`init` adds to that), and a provider on each. */
export async function startAnvilChains(init: StartLocalChainsInit = {}): Promise<AnvilChains> {
  const chains = await startLocalChains({ autoRelay: false, ...init })
  const eth = testProvider(chains.ethereum.rpcUrl, chains.ethereum.chainId)
  const pol = testProvider(chains.polygon.rpcUrl, chains.polygon.chainId)
  return {
    chains,
    eth,
    pol,
    bridgeClient: (account) =>
      createBridgeClient({
        ethereum: new Wallet(chains.accounts[account]!.privateKey, eth),
        polygon: new Wallet(chains.accounts[account]!.privateKey, pol),
        addresses: chains.addresses,
      }),
    async stop() {
      eth.destroy()
      pol.destroy()
      await chains.stop()
    },
  }
}
