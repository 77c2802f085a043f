/**
 * The NFT widget's demo marketplace for browser tests: a real resource node, a real local Polygon (anvil,
 * chain 31338) with the DemoNft ERC-721 deployed, and the built demo page served with its config.
 */
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type AnvilChain, deployDemoNft, devAccounts, startAnvil } from '@stratos-edge/polygon-bridge/local'
import { JsonRpcProvider, Wallet } from 'ethers'
import { NETNS_ADDRESS } from '../../scripts/test-network.mjs'
import { E2E_NETWORK, type ResourceNode, startResourceNode } from './resource-node.ts'
import { serveStatic } from './static-server.ts'

/** The built widget (`npm run build -w @stratos-edge/nft-widget`). */
export const NFT_WIDGET_DIST = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '..',
  'apps',
  'nft-widget',
  'dist',
)

/** The started parts; `stop` closes them all, each best-effort. */
export interface NftDemo {
  resource: ResourceNode
  chain: AnvilChain
  provider: JsonRpcProvider
  /** The DemoNft contract, deployed by dev account 0; dev account 1 mints. */
  nftAddress: string
  server: { url: string; close(): Promise<void> }
  stop(): Promise<void>
}

/**
 * Starts the node, the chain and the contract, and serves the demo page (its `/config.json` names them).
 * Parts started before a failure are stopped before it is rethrown.
 */
export async function startNftDemo(): Promise<NftDemo> {
  const parts: Partial<NftDemo> = {}
  const stop = async () => {
    parts.provider?.destroy()
    await parts.chain?.stop().catch(() => {})
    await parts.resource?.stop().catch(() => {})
    await parts.server?.close().catch(() => {})
  }
  try {
    const resource = await startResourceNode(NETNS_ADDRESS)
    parts.resource = resource
    const chain = await startAnvil({ chainId: 31338 })
    parts.chain = chain
    const provider = new JsonRpcProvider(chain.rpcUrl, chain.chainId, {
      staticNetwork: true,
      cacheTimeout: -1,
    })
    parts.provider = provider
    const accounts = devAccounts()
    const nftAddress = await deployDemoNft(new Wallet(accounts[0]!.privateKey, provider))
    const server = await serveStatic(join(NFT_WIDGET_DIST, 'demo'), '127.0.0.1', {
      '/config.json': {
        resourceNodes: [resource.wsAddr],
        gatewayUrl: resource.gatewayUrl,
        network: E2E_NETWORK,
        polygon: { rpcUrl: chain.rpcUrl, chainId: chain.chainId },
        nft: nftAddress,
        minterKey: accounts[1]!.privateKey,
      },
    })
    parts.server = server
    return { resource, chain, provider, nftAddress, server, stop }
  } catch (err) {
    await stop()
    throw err
  }
}
