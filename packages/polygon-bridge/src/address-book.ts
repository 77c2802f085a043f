/** Contracts on the Ethereum side. Optional ones are Polygon infrastructure a network may not have. */
export interface EthereumAddresses {
  /** The STOS ERC-20. */
  stos: string
  /** Our FxPortal-style root tunnel (locks STOS). */
  rootTunnel?: string | undefined
  /** FxPortal `FxRoot`. */
  fxRoot?: string | undefined
  /** Polygon PoS `RootChainManager` (proxy). */
  rootChainManager?: string | undefined
  /** Polygon PoS `ERC20PredicateProxy`: the spender to approve before `depositFor`. */
  erc20Predicate?: string | undefined
  /** Polygon checkpoint manager (`RootChainProxy`). */
  checkpointManager?: string | undefined
  /** Polygon `StateSender`. */
  stateSender?: string | undefined
}

/** Contracts on the Polygon side. */
export interface PolygonAddresses {
  /** Bridged STOS minted by our child tunnel; also the child tunnel itself. */
  bridgedStos?: string | undefined
  /** STOS as a Polygon PoS mapped child token, when Polygon maps it (not on mainnet today). */
  childStos?: string | undefined
  /** FxPortal `FxChild`. */
  fxChild?: string | undefined
  /** Polygon PoS `ChildChainManager` (proxy). */
  childChainManager?: string | undefined
  /** Our storage prepayment contract. */
  storagePayments?: string | undefined
  /** Our traffic reward contract. */
  trafficRewards?: string | undefined
}

/** Everything the bridge client needs to find on both chains. */
export interface BridgeAddresses {
  ethereum: EthereumAddresses & { chainId: number }
  polygon: PolygonAddresses & { chainId: number }
}

/** The names of the networks in {@link ADDRESS_BOOK}. */
export type NetworkName = 'local' | 'amoy' | 'polygon'

/** Chain ids of the two local anvil chains that `startLocalChains` runs. */
export const LOCAL_ETHEREUM_CHAIN_ID = 31337
export const LOCAL_POLYGON_CHAIN_ID = 31338

/**
 * Known addresses per network.
 *
 * - `local`: what `deployLocal` (and so `startLocalChains`) produces on fresh anvil chains from anvil's first
 *   dev account; deterministic, and checked by the tests.
 * - `amoy`: Polygon's testnet (Amoy, chain 80002) over Sepolia (11155111): FxPortal's FxRoot/FxChild and the
 *   checkpoint manager. Our contracts are not deployed there yet; fill in after deploying.
 * - `polygon`: mainnet. STOS and Polygon's own bridge contracts; our contracts are not deployed yet.
 */
export const ADDRESS_BOOK: Record<NetworkName, BridgeAddresses> = {
  local: {
    ethereum: {
      chainId: LOCAL_ETHEREUM_CHAIN_ID,
      stos: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
      stateSender: '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512',
      checkpointManager: '0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0',
      fxRoot: '0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9',
      rootChainManager: '0xDc64a140Aa3E981100a9becA4E685f962f0cF6C9',
      erc20Predicate: '0x5FC8d32690cc91D4c39d9d3abcBD16989F875707',
      rootTunnel: '0x0165878A594ca255338adfa4d48449f69242Eb8F',
    },
    polygon: {
      chainId: LOCAL_POLYGON_CHAIN_ID,
      fxChild: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
      childChainManager: '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512',
      childStos: '0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0',
      bridgedStos: '0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9',
      storagePayments: '0xDc64a140Aa3E981100a9becA4E685f962f0cF6C9',
      trafficRewards: '0x5FC8d32690cc91D4c39d9d3abcBD16989F875707',
    },
  },
  amoy: {
    ethereum: {
      chainId: 11155111,
      // No STOS on Sepolia: deploy a TestStos (or any ERC-20) and put it here.
      stos: '',
      fxRoot: '0x0E13EBEdDb8cf9f5987512d5E081FdC2F5b0991e',
      checkpointManager: '0xbd07D7E1E93c8d4b2a261327F3C28a8EA7167209',
    },
    polygon: {
      chainId: 80002,
      fxChild: '0xE5930336866d0388f0f745A2d9207C7781047C0f',
    },
  },
  polygon: {
    ethereum: {
      chainId: 1,
      stos: '0x08c32b0726C5684024ea6e141C50aDe9690bBdcc',
      fxRoot: '0xfe5e5D361b2ad62c541bAb87C45a0B9B018389a2',
      checkpointManager: '0x86E4Dc95c7FBdBf52e33D563BbDB00823894C287',
      rootChainManager: '0xA0c68C638235ee32657e8f720a23ceC1bFc77C77',
      erc20Predicate: '0x40ec5B33f54e0E8A33A975908C5BA1c14e5BbbDf',
    },
    polygon: {
      chainId: 137,
      fxChild: '0x8397259c983751DAf40400790063935a11afa28a',
    },
  },
}
