import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { FetchRequest, HDNodeWallet, JsonRpcProvider, Mnemonic, Wallet } from 'ethers'
import { ADDRESS_BOOK, LOCAL_ETHEREUM_CHAIN_ID, LOCAL_POLYGON_CHAIN_ID } from '../address-book.js'
import { type BytecodeOverrides, deployLocal, type LocalDeployment } from '../deploy.js'
import { type AnvilChain, startAnvil } from './anvil.js'
import { createLocalRelayer, type LocalRelayer } from './relayer.js'

/** anvil's well-known development mnemonic: its keys are public, never use them outside local chains. */
export const DEV_MNEMONIC = 'test test test test test test test test test test test junk'

/** A funded development account. */
export interface DevAccount {
  address: string
  privateKey: string
}

/** Which dev account plays which role in the local deployment. */
export const DEV_ROLES = { deployer: 0, settler: 6, committee: [7, 8, 9], threshold: 2 } as const

/** Options of {@link startLocalChains}. */
export interface StartLocalChainsInit {
  /** Keep chain state (and the relay cursor) here across restarts; default: in memory only. */
  dataDir?: string
  ethereumPort?: number
  polygonPort?: number
  /** Run the state-sync/checkpoint relayer on a timer (default true). */
  autoRelay?: boolean
  /** Relayer periods. */
  syncIntervalMs?: number
  checkpointIntervalMs?: number
  /** Test STOS minted to dev accounts 0–5 on a fresh "Ethereum" (default 1,000,000 STOS). */
  mintPerAccount?: bigint
  /** Reward epoch length in seconds (default 600). */
  epochDuration?: number
  /** Bytecode replacements (mutation testing). */
  bytecode?: BytecodeOverrides
}

/** Two running local chains with everything deployed. */
export interface LocalChains {
  ethereum: { rpcUrl: string; chainId: number }
  polygon: { rpcUrl: string; chainId: number }
  addresses: LocalDeployment
  /** anvil's ten funded dev accounts (see {@link DEV_ROLES}). */
  accounts: DevAccount[]
  relayer: LocalRelayer
  stop(): Promise<void>
}

/** A local node answers in milliseconds: a request that takes this long means it stopped answering. */
const RPC_TIMEOUT_MS = 30_000

/** A JSON-RPC connection to a local anvil that fails a request after {@link RPC_TIMEOUT_MS} (ethers: 5 min). */
function rpcRequest(url: string): FetchRequest {
  const request = new FetchRequest(url)
  request.timeout = RPC_TIMEOUT_MS
  return request
}

/** The ten anvil dev accounts. */
export function devAccounts(): DevAccount[] {
  const mnemonic = Mnemonic.fromPhrase(DEV_MNEMONIC)
  return Array.from({ length: 10 }, (_, i) => {
    const w = HDNodeWallet.fromMnemonic(mnemonic, `m/44'/60'/0'/0/${i}`)
    return { address: w.address, privateKey: w.privateKey }
  })
}

/**
 * Starts an "Ethereum" (chain 31337) and a "Polygon" (chain 31338) anvil on 127.0.0.1, deploys the bridge,
 * payments and rewards (unless `dataDir` already holds a deployed state), and relays state syncs and
 * checkpoints between them.
 *
 * @example
 * ```ts
 * import { startLocalChains } from '@stratos-edge/polygon-bridge/local'
 * const chains = await startLocalChains({ dataDir: '.data/chains' })
 * console.log(chains.polygon.rpcUrl, chains.addresses.polygon.storagePayments)
 * await chains.stop()
 * ```
 */
export async function startLocalChains(init: StartLocalChainsInit = {}): Promise<LocalChains> {
  if (init.dataDir) await mkdir(init.dataDir, { recursive: true })
  const started: AnvilChain[] = []
  try {
    const ethereum = await startAnvil({
      chainId: LOCAL_ETHEREUM_CHAIN_ID,
      port: init.ethereumPort ?? 0,
      ...(init.dataDir ? { statePath: join(init.dataDir, 'ethereum-state.json') } : {}),
    })
    started.push(ethereum)
    const polygon = await startAnvil({
      chainId: LOCAL_POLYGON_CHAIN_ID,
      port: init.polygonPort ?? 0,
      ...(init.dataDir ? { statePath: join(init.dataDir, 'polygon-state.json') } : {}),
    })
    started.push(polygon)
    const ethProvider = new JsonRpcProvider(rpcRequest(ethereum.rpcUrl), ethereum.chainId, {
      staticNetwork: true,
      pollingInterval: 100,
      cacheTimeout: -1,
    })
    const polProvider = new JsonRpcProvider(rpcRequest(polygon.rpcUrl), polygon.chainId, {
      staticNetwork: true,
      pollingInterval: 100,
      cacheTimeout: -1,
    })
    const accounts = devAccounts()
    const deployerKey = accounts[DEV_ROLES.deployer]!.privateKey
    const ethDeployer = new Wallet(deployerKey, ethProvider)
    const polDeployer = new Wallet(deployerKey, polProvider)
    let addresses: LocalDeployment
    const alreadyDeployed =
      (await ethProvider.getCode(ADDRESS_BOOK.local.ethereum.stos)) !== '0x' &&
      (await polProvider.getCode(ADDRESS_BOOK.local.polygon.trafficRewards!)) !== '0x'
    if (alreadyDeployed) {
      addresses = ADDRESS_BOOK.local as LocalDeployment
    } else {
      addresses = await deployLocal({
        ethereum: ethDeployer,
        polygon: polDeployer,
        committee: DEV_ROLES.committee.map((i) => accounts[i]!.address),
        threshold: DEV_ROLES.threshold,
        settler: accounts[DEV_ROLES.settler]!.address,
        ...(init.epochDuration ? { epochDuration: init.epochDuration } : {}),
        mint: { to: accounts.slice(0, 6).map((a) => a.address), amount: init.mintPerAccount ?? 10n ** 24n },
        ...(init.bytecode ? { bytecode: init.bytecode } : {}),
      })
    }
    const relayer = createLocalRelayer({
      ethereum: ethProvider,
      polygon: polProvider,
      addresses,
      checkpointer: ethDeployer,
      ...(init.dataDir ? { statePath: join(init.dataDir, 'relayer.json') } : {}),
    })
    if (init.autoRelay ?? true) {
      relayer.start({
        ...(init.syncIntervalMs ? { syncIntervalMs: init.syncIntervalMs } : {}),
        ...(init.checkpointIntervalMs ? { checkpointIntervalMs: init.checkpointIntervalMs } : {}),
      })
    }
    let stopping: Promise<void> | undefined
    return {
      ethereum: { rpcUrl: ethereum.rpcUrl, chainId: ethereum.chainId },
      polygon: { rpcUrl: polygon.rpcUrl, chainId: polygon.chainId },
      addresses,
      accounts,
      relayer,
      stop() {
        stopping ??= (async () => {
          await relayer.stop()
          ethProvider.destroy()
          polProvider.destroy()
          await Promise.all(started.map((c) => c.stop()))
        })()
        return stopping
      },
    }
  } catch (err) {
    await Promise.all(started.map((c) => c.stop()))
    throw err
  }
}
