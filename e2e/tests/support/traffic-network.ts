// The Proof of Traffic network of the e2e tests: local "Ethereum" and "Polygon" anvil chains with the
// bridge, StoragePayments and TrafficRewards deployed (epochs of a few seconds), a dApp wallet that
// prepays on Polygon, TrafficRewards funded, and a resource node whose meta service settles traffic
// and posts each epoch's root with 2 of 3 committee keys.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fundDemoWallet, type LocalChains, startLocalChains } from '@stratos-edge/polygon-bridge/local'
import { spawnResourceNode } from '@stratos-edge/resource-node'
import { Contract, FetchRequest, JsonRpcProvider, Wallet } from 'ethers'
import { E2E_NETWORK, type ResourceNode } from './resource-node.ts'

export const STOS = 10n ** 18n

const ERC20 = [
  'function transfer(address to, uint256 amount) returns (bool)',
  'function balanceOf(address account) view returns (uint256)',
]

/** The running network of {@link startTrafficNetwork}. */
export interface TrafficNetwork {
  chains: LocalChains
  polygonRpc: string
  /** The dApp's wallet: prepaid on Polygon, owns the uploads. */
  dapp: { address: string; privateKey: string }
  /** A funded account that sends (and pays the gas of) a browser's claim. */
  claimer: { address: string; privateKey: string }
  resource: ResourceNode
  /** Bridged STOS on Polygon (what TrafficRewards pays). */
  stosBalance(account: string): Promise<bigint>
  /** Sends `wei` of Polygon's native coin from the claimer (gas for a node key). */
  fundGas(account: string, wei: bigint): Promise<void>
  stop(): Promise<void>
}

/** Options of {@link startTrafficNetwork}. */
export interface TrafficNetworkInit {
  host: string
  epochSeconds: number
  lateWindowSeconds: number
}

/**
 * Starts the chains, funds the wallets and `TrafficRewards`, then the resource node with the meta
 * service's Proof of Traffic on.
 */
export async function startTrafficNetwork(init: TrafficNetworkInit): Promise<TrafficNetwork> {
  const chains = await startLocalChains({ epochDuration: init.epochSeconds })
  const dir = mkdtempSync(join(tmpdir(), 'stratos-e2e-pot-'))
  try {
    const request = new FetchRequest(chains.polygon.rpcUrl)
    request.timeout = 30_000
    const polygon = new JsonRpcProvider(request, chains.polygon.chainId, {
      staticNetwork: true,
      pollingInterval: 100,
      cacheTimeout: -1,
    })
    const dapp = chains.accounts[1]!
    const claimer = chains.accounts[2]!
    // The dApp bridges STOS to Polygon and prepays StoragePayments for itself (the owner pays for reads).
    await fundDemoWallet(chains, { wallet: dapp, prepay: 100n * STOS, keepStos: 1000n * STOS })
    const stos = chains.addresses.polygon.bridgedStos as string
    const rewards = chains.addresses.polygon.trafficRewards as string
    const token = new Contract(stos, ERC20, new Wallet(dapp.privateKey, polygon))
    await (await token.getFunction('transfer')(rewards, 500n * STOS)).wait()

    const keyFile = join(dir, 'committee.keys')
    // 2 of 3: this meta service holds two of the three committee keys (npm start holds all three).
    writeFileSync(keyFile, `${chains.accounts[7]!.privateKey}\n${chains.accounts[8]!.privateKey}\n`)
    const dataDir = join(dir, 'node')
    const node = await spawnResourceNode({
      args: [
        'start',
        '--meta',
        '--host',
        init.host,
        '--data-dir',
        dataDir,
        '--tcp-port',
        '0',
        '--ws-port',
        '0',
        '--http-port',
        '0',
        '--network',
        String(E2E_NETWORK),
        '--polygon-rpc',
        chains.polygon.rpcUrl,
        '--storage-payments',
        chains.addresses.polygon.storagePayments as string,
        '--confirmations',
        '1',
        '--payments-from-block',
        '0',
        '--traffic-rewards',
        rewards,
        '--committee-key-file',
        keyFile,
        '--committee-threshold',
        '2',
        '--epoch-seconds',
        String(init.epochSeconds),
        '--late-window-seconds',
        String(init.lateWindowSeconds),
      ],
      stderr: 'inherit',
      onLine: (line) => process.stderr.write(`[resource-node] ${line}\n`),
      timeoutMs: 30_000,
    })
    const { ready } = node
    const ws = ready.multiaddrs.find((a) => a.includes(`/ip4/${init.host}/`) && a.includes('/ws'))
    if (!ws) throw new Error(`resource node has no WebSockets address: ${ready.multiaddrs.join(', ')}`)
    const resource: ResourceNode = {
      peerId: ready.peerId,
      multiaddrs: ready.multiaddrs,
      wsAddr: ws.includes('/p2p/') ? ws : `${ws}/p2p/${ready.peerId}`,
      gatewayUrl: ready.gatewayUrl || undefined,
      dataDir,
      stop: () => node.stop(),
    }
    const reader = new Contract(stos, ERC20, polygon)
    return {
      chains,
      polygonRpc: chains.polygon.rpcUrl,
      dapp,
      claimer,
      resource,
      stosBalance: async (account) => (await reader.getFunction('balanceOf')(account)) as bigint,
      async fundGas(account, wei) {
        const tx = await new Wallet(claimer.privateKey, polygon).sendTransaction({ to: account, value: wei })
        await tx.wait()
      },
      async stop() {
        await resource.stop().catch(() => {})
        polygon.destroy()
        await chains.stop().catch(() => {})
        rmSync(dir, { recursive: true, force: true })
      },
    }
  } catch (err) {
    await chains.stop().catch(() => {})
    rmSync(dir, { recursive: true, force: true })
    throw err
  }
}
