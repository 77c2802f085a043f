import { AbiCoder, ContractFactory, type InterfaceAbi, keccak256, type Signer, toUtf8Bytes } from 'ethers'
import type { BridgeAddresses } from './address-book.js'
import { artifacts, type ContractName } from './generated/artifacts.js'
import { waitForMined } from './wait-for-receipt.js'

/** Bytecode replacements by contract name (used by the mutation script to deploy altered contracts). */
export type BytecodeOverrides = Partial<Record<ContractName, string>>

/** Options of {@link deployLocal}. */
export interface DeployLocalInit {
  /** Deployer on the "Ethereum" chain; owns the stand-ins (checkpoint manager = the harness). */
  ethereum: Signer
  /** Deployer on the "Polygon" chain; owns StoragePayments and TrafficRewards. */
  polygon: Signer
  /** Reward committee members. */
  committee: string[]
  /** Signatures needed per epoch root. */
  threshold: number
  /** The meta service account allowed to settle prepayments; default: the Polygon deployer. */
  settler?: string
  /** Seconds after a prepayment before its unused rest may be refunded; default 30 days. */
  refundDelay?: number
  /** Unix time at which reward epoch 1 starts; default: now (chain time). */
  genesisTime?: number
  /** Reward epoch length in seconds; default 600 (Stratos' ~10 min). */
  epochDuration?: number
  /** Mint this much test STOS (wei) to each of these accounts on "Ethereum". */
  mint?: { to: string[]; amount: bigint }
  /** Replace bytecode of some contracts (mutation testing). */
  bytecode?: BytecodeOverrides
}

/** Deployed addresses plus the dev-only ones the harness needs. */
export type LocalDeployment = BridgeAddresses & {
  ethereum: Required<Omit<BridgeAddresses['ethereum'], 'chainId'>> & { chainId: number }
  polygon: Required<Omit<BridgeAddresses['polygon'], 'chainId'>> & { chainId: number }
}

/** keccak256("ERC20"): the Polygon PoS token type of plain ERC-20s. */
export const ERC20_TOKEN_TYPE = keccak256(toUtf8Bytes('ERC20'))

async function deploy(
  signer: Signer,
  name: ContractName,
  args: unknown[],
  overrides: BytecodeOverrides | undefined,
): Promise<string> {
  const artifact = artifacts[name]
  const factory = new ContractFactory(
    artifact.abi as unknown as InterfaceAbi,
    overrides?.[name] ?? artifact.bytecode,
    signer,
  )
  const contract = await factory.deploy(...args)
  await waitForMined(contract.deploymentTransaction()!)
  return contract.getAddress()
}

async function send(
  signer: Signer,
  name: ContractName,
  address: string,
  method: string,
  args: unknown[],
): Promise<void> {
  const artifact = artifacts[name]
  const factory = new ContractFactory(artifact.abi as unknown as InterfaceAbi, artifact.bytecode, signer)
  const data = factory.interface.encodeFunctionData(method, args)
  const tx = await signer.sendTransaction({ to: address, data })
  await waitForMined(tx)
}

/**
 * Deploys the whole local stack on two chains: the Polygon infrastructure stand-ins (state sender, checkpoint
 * manager, FxRoot/FxChild, RootChainManager/ERC20Predicate/ChildChainManager), a test STOS, its PoS child
 * token, our tunnel pair (StosRootTunnel + BridgedStos), StoragePayments and TrafficRewards (both in bridged
 * STOS), and links them. On fresh anvil chains with anvil's first account the addresses are those of
 * `ADDRESS_BOOK.local`.
 */
export async function deployLocal(init: DeployLocalInit): Promise<LocalDeployment> {
  const eth = init.ethereum
  const pol = init.polygon
  const o = init.bytecode
  const ethOwner = await eth.getAddress()
  const polOwner = await pol.getAddress()
  const ethNet = await eth.provider!.getNetwork()
  const polNet = await pol.provider!.getNetwork()

  const stos = await deploy(eth, 'TestStos', [ethOwner], o)
  const stateSender = await deploy(eth, 'LocalStateSender', [], o)
  const checkpointManager = await deploy(eth, 'LocalCheckpointManager', [ethOwner], o)
  const fxRoot = await deploy(eth, 'FxRoot', [stateSender], o)
  const rootChainManager = await deploy(
    eth,
    'RootChainManager',
    [ethOwner, stateSender, checkpointManager],
    o,
  )
  const erc20Predicate = await deploy(eth, 'ERC20Predicate', [rootChainManager], o)
  const rootTunnel = await deploy(eth, 'StosRootTunnel', [stos, fxRoot, checkpointManager], o)

  const latest = await pol.provider!.getBlock('latest')
  const genesisTime = init.genesisTime ?? Number(latest!.timestamp)
  const fxChild = await deploy(pol, 'FxChild', [], o)
  const childChainManager = await deploy(pol, 'ChildChainManager', [polOwner], o)
  const childStos = await deploy(pol, 'ChildStos', [childChainManager], o)
  const bridgedStos = await deploy(pol, 'BridgedStos', [fxChild], o)
  const storagePayments = await deploy(
    pol,
    'StoragePayments',
    [bridgedStos, polOwner, init.settler ?? polOwner, init.refundDelay ?? 30 * 24 * 3600],
    o,
  )
  const trafficRewards = await deploy(
    pol,
    'TrafficRewards',
    [bridgedStos, polOwner, init.committee, init.threshold, genesisTime, init.epochDuration ?? 600],
    o,
  )

  await send(eth, 'RootChainManager', rootChainManager, 'registerPredicate', [
    ERC20_TOKEN_TYPE,
    erc20Predicate,
  ])
  await send(eth, 'RootChainManager', rootChainManager, 'setChildChainManagerAddress', [childChainManager])
  await send(eth, 'RootChainManager', rootChainManager, 'mapToken', [stos, childStos, ERC20_TOKEN_TYPE])
  await send(eth, 'FxRoot', fxRoot, 'setFxChild', [fxChild])
  await send(eth, 'StosRootTunnel', rootTunnel, 'setChildTunnel', [bridgedStos])
  await send(pol, 'ChildChainManager', childChainManager, 'mapToken', [stos, childStos])
  await send(pol, 'BridgedStos', bridgedStos, 'setRootTunnel', [rootTunnel])
  for (const to of init.mint?.to ?? []) {
    await send(eth, 'TestStos', stos, 'mint', [to, init.mint!.amount])
  }
  return {
    ethereum: {
      chainId: Number(ethNet.chainId),
      stos,
      rootTunnel,
      fxRoot,
      rootChainManager,
      erc20Predicate,
      checkpointManager,
      stateSender,
    },
    polygon: {
      chainId: Number(polNet.chainId),
      bridgedStos,
      childStos,
      fxChild,
      childChainManager,
      storagePayments,
      trafficRewards,
    },
  }
}

/** Options of {@link deployBridge}: our four contracts onto existing Polygon infrastructure (Amoy, mainnet). */
export interface DeployBridgeInit {
  /** Deployer on Ethereum (Sepolia for Amoy). */
  ethereum: Signer
  /** Deployer on Polygon; becomes the owner of StoragePayments and TrafficRewards unless `owner` is given. */
  polygon: Signer
  /** Existing contracts: STOS, FxPortal's FxRoot and FxChild, the checkpoint manager. */
  stos: string
  fxRoot: string
  fxChild: string
  checkpointManager: string
  committee: string[]
  threshold: number
  /** Owner (treasury, pauser) on Polygon; default: the Polygon deployer. */
  owner?: string
  /** The meta service's settler account; default: the owner. */
  settler?: string
  refundDelay?: number
  genesisTime?: number
  epochDuration?: number
}

/**
 * Deploys StosRootTunnel (Ethereum), BridgedStos, StoragePayments and TrafficRewards (Polygon) against
 * existing STOS, FxRoot/FxChild and checkpoint manager, and links the tunnel pair. Returns the entries to put
 * in the address book.
 *
 * @example
 * ```ts
 * const book = ADDRESS_BOOK.amoy
 * const deployed = await deployBridge({ ethereum, polygon, stos, fxRoot: book.ethereum.fxRoot!, fxChild: book.polygon.fxChild!,
 *   checkpointManager: book.ethereum.checkpointManager!, committee, threshold: 2 })
 * ```
 */
export async function deployBridge(init: DeployBridgeInit): Promise<{
  ethereum: { rootTunnel: string }
  polygon: { bridgedStos: string; storagePayments: string; trafficRewards: string }
}> {
  const owner = init.owner ?? (await init.polygon.getAddress())
  const rootTunnel = await deploy(
    init.ethereum,
    'StosRootTunnel',
    [init.stos, init.fxRoot, init.checkpointManager],
    undefined,
  )
  const bridgedStos = await deploy(init.polygon, 'BridgedStos', [init.fxChild], undefined)
  const latest = await init.polygon.provider!.getBlock('latest')
  const storagePayments = await deploy(
    init.polygon,
    'StoragePayments',
    [bridgedStos, owner, init.settler ?? owner, init.refundDelay ?? 30 * 24 * 3600],
    undefined,
  )
  const trafficRewards = await deploy(
    init.polygon,
    'TrafficRewards',
    [
      bridgedStos,
      owner,
      init.committee,
      init.threshold,
      init.genesisTime ?? Number(latest!.timestamp),
      init.epochDuration ?? 600,
    ],
    undefined,
  )
  await send(init.ethereum, 'StosRootTunnel', rootTunnel, 'setChildTunnel', [bridgedStos])
  await send(init.polygon, 'BridgedStos', bridgedStos, 'setRootTunnel', [rootTunnel])
  return { ethereum: { rootTunnel }, polygon: { bridgedStos, storagePayments, trafficRewards } }
}

/** `abi.encode(uint256 amount)`: the `depositData` of a Polygon PoS ERC-20 deposit. */
export function encodeDepositData(amount: bigint): string {
  return AbiCoder.defaultAbiCoder().encode(['uint256'], [amount])
}
