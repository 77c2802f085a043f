// The demo marketplace's ERC-721 on a fresh anvil: open mint, ids from 1, tokenURI read back.
import { Contract, type InterfaceAbi, JsonRpcProvider, Wallet } from 'ethers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type AnvilChain, startAnvil } from '../src/local/anvil.js'
import { DEMO_NFT_ABI, deployDemoNft } from '../src/local/deploy-demo-nft.js'
import { devAccounts } from '../src/local/start-local-chains.js'

describe('DemoNft', () => {
  let chain: AnvilChain
  let provider: JsonRpcProvider
  beforeAll(async () => {
    chain = await startAnvil({ chainId: 31338 })
    provider = new JsonRpcProvider(chain.rpcUrl, chain.chainId, {
      staticNetwork: true,
      pollingInterval: 50,
      cacheTimeout: -1,
    })
  })
  afterAll(async () => {
    provider?.destroy()
    await chain?.stop()
  })

  it('mints to anyone with the given tokenURI and reads it back', async () => {
    const [deployer, creator] = devAccounts()
    const address = await deployDemoNft(new Wallet(deployer!.privateKey, provider))
    const nft = new Contract(
      address,
      DEMO_NFT_ABI as unknown as InterfaceAbi,
      new Wallet(creator!.privateKey, provider),
    )
    const uri = 'https://gw.example/v1/files/sdm://st1rfjz7r3u8t65teavh5utquj3kwvsj983l3hnfd/v05j1m5'
    await (await nft.getFunction('mint')(creator!.address, uri)).wait()
    await (await nft.getFunction('mint')(deployer!.address, `${uri}2`)).wait()
    expect(await nft.getFunction('tokenURI')(1n)).toBe(uri)
    expect(await nft.getFunction('ownerOf')(1n)).toBe(creator!.address)
    expect(await nft.getFunction('tokenURI')(2n)).toBe(`${uri}2`)
    expect(await nft.getFunction('nextTokenId')()).toBe(3n)
    await expect(nft.getFunction('tokenURI')(3n)).rejects.toThrow()
  })
})
