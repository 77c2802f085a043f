// The demo marketplace: the uploader gives a tokenURI, the page mints a DemoNft with it on the local
// Polygon, then reads tokenURI() back from the chain and shows the token's metadata and media.

import type { LightNodeStat } from '@stratos-edge/light-node'
import { Contract, JsonRpcProvider, Wallet } from 'ethers'
import {
  defineNftUploader,
  type NftMetadata,
  type NftUploaderElement,
  type NftUploadResult,
  sharedLightNode,
} from '../src/index.ts'

/** What `npm start` (and the e2e test) serve at /config.json. */
interface DemoConfig {
  resourceNodes: string[]
  gatewayUrl?: string
  /** The network id upload tickets are signed for, when the resource nodes ask for tickets. */
  network?: number
  polygon: { rpcUrl: string; chainId: number }
  nft: string
  /** A local dev account that pays for the mint (anvil's public dev keys; local chains only). */
  minterKey: string
}

const NFT_ABI = [
  'function mint(address to, string uri) returns (uint256)',
  'function tokenURI(uint256 id) view returns (string)',
  'event Transfer(address indexed from, address indexed to, uint256 indexed tokenId)',
]

/** What the page exposes for tests. */
interface DemoState {
  upload?: NftUploadResult
  minted?: { tokenId: string; tokenURI: string; metadata: NftMetadata }
  error?: string
  /** The shared light node's stat (started if it was not yet); for tests of what it holds. */
  nodeStat?: () => Promise<LightNodeStat>
}
const state: DemoState = {}
;(window as unknown as { demo: DemoState }).demo = state

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T
const status = $('status')

async function main(): Promise<void> {
  const config = (await (await fetch('/config.json')).json()) as DemoConfig
  defineNftUploader()
  const uploader = $<NftUploaderElement>('uploader')
  uploader.setAttribute('resource-nodes', config.resourceNodes.join(' '))
  if (config.gatewayUrl) uploader.setAttribute('gateway-url', config.gatewayUrl)
  if (config.network !== undefined) uploader.setAttribute('network', String(config.network))
  uploader.nodeOptions = { iceServers: [] }
  // The same options as the uploader's, so this is the node it uses (one per page and configuration).
  state.nodeStat = async () =>
    (
      await sharedLightNode({
        resourceNodes: config.resourceNodes,
        iceServers: [],
        ...(config.gatewayUrl ? { gatewayUrl: config.gatewayUrl } : {}),
        ...(config.network !== undefined ? { network: config.network } : {}),
      })
    ).stat()
  const provider = new JsonRpcProvider(config.polygon.rpcUrl, config.polygon.chainId, {
    staticNetwork: true,
    cacheTimeout: -1,
  })
  const minter = new Wallet(config.minterKey, provider)
  const nft = new Contract(config.nft, NFT_ABI, minter)
  const owner = $<HTMLInputElement>('owner')
  owner.value = minter.address
  $('contract').textContent = config.nft
  const mint = $<HTMLButtonElement>('mint')

  uploader.addEventListener('stratos-nft-uploaded', (e) => {
    state.upload = (e as CustomEvent<NftUploadResult>).detail
    $('token-uri').textContent = state.upload.tokenURI
    mint.disabled = false
    status.textContent = 'Uploaded: ready to mint'
  })
  mint.addEventListener('click', async () => {
    if (!state.upload) return
    mint.disabled = true
    status.textContent = 'Minting…'
    try {
      const tx = await nft.getFunction('mint')(owner.value, state.upload.tokenURI)
      const receipt = await tx.wait()
      const transfer = receipt.logs
        .map((log: { topics: string[]; data: string }) => nft.interface.parseLog(log))
        .find((parsed: { name: string } | null) => parsed?.name === 'Transfer')
      const tokenId = (transfer.args.tokenId as bigint).toString()
      await showToken(nft, tokenId)
      status.textContent = `Minted token ${tokenId}`
    } catch (err) {
      state.error = (err as Error).message
      status.textContent = `Mint failed: ${(err as Error).message}`
      mint.disabled = false
    }
  })
  status.textContent = 'Ready'
}

/** Reads tokenURI() from the chain, fetches the metadata it names and renders it (as text only). */
async function showToken(nft: Contract, tokenId: string): Promise<void> {
  const tokenURI = (await nft.getFunction('tokenURI')(tokenId)) as string
  const metadata = (await (await fetch(tokenURI)).json()) as NftMetadata
  state.minted = { tokenId, tokenURI, metadata }
  $('token-id').textContent = tokenId
  $('token-name').textContent = metadata.name
  $('token-description').textContent = metadata.description ?? ''
  $('token-attributes').replaceChildren(
    ...(metadata.attributes ?? []).map((a) => {
      const li = document.createElement('li')
      li.textContent = `${a.trait_type ?? 'Trait'}: ${a.value}`
      return li
    }),
  )
  const media = $('token-media')
  media.replaceChildren()
  if (metadata.image?.startsWith('http')) {
    const img = document.createElement('img')
    img.src = metadata.image
    img.alt = metadata.name
    media.append(img)
  }
  if (metadata.animation_url?.startsWith('http')) {
    const video = document.createElement('video')
    video.src = metadata.animation_url
    video.controls = true
    video.muted = true
    video.setAttribute('aria-label', `${metadata.name} (animation)`)
    media.append(video)
  }
  $('token').hidden = false
}

main().catch((err: unknown) => {
  state.error = (err as Error).message
  status.textContent = `The demo could not start: ${(err as Error).message}`
})
