import { ContractFactory, type InterfaceAbi, type Signer } from 'ethers'
import { artifacts } from '../generated/artifacts.js'
import { waitForMined } from '../wait-for-receipt.js'

/** The demo ERC-721's ABI (mint, tokenURI, ownerOf, nextTokenId, Transfer…). */
export const DEMO_NFT_ABI = artifacts.DemoNft.abi

/**
 * Deploys `DemoNft` (an open-mint ERC-721 that stores each token's URI) for the NFT widget's demo page
 * and tests; returns its address. Apart from the main deployment, so its addresses do not move.
 *
 * @example
 * ```ts
 * const address = await deployDemoNft(new Wallet(devAccounts()[0]!.privateKey, provider))
 * ```
 */
export async function deployDemoNft(signer: Signer): Promise<string> {
  const factory = new ContractFactory(
    artifacts.DemoNft.abi as unknown as InterfaceAbi,
    artifacts.DemoNft.bytecode,
    signer,
  )
  const contract = await factory.deploy()
  await waitForMined(contract.deploymentTransaction()!)
  return contract.getAddress()
}
