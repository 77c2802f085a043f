import { FetchRequest, getAddress, JsonRpcProvider, parseEther, Wallet } from 'ethers'
import { type BridgeClient, createBridgeClient, type Prepayment } from '../bridge-client.js'
import { DEV_ROLES, type LocalChains } from './start-local-chains.js'

/** STOS has 18 decimals. */
const STOS = 10n ** 18n
/** A local node answers in milliseconds: a request that takes this long means it stopped answering. */
const RPC_TIMEOUT_MS = 30_000
/** How long a bridged deposit may take to show on "Polygon" after the relayer delivered it. */
const DELIVERY_TIMEOUT_MS = 30_000

/** Options of {@link fundDemoWallet}. */
export interface FundDemoWalletInit {
  /**
   * The wallet to fund. With its key, it approves and prepays itself, as a user's wallet would; with only
   * an address (a wallet the user brings), the deployer prepays for it.
   */
  wallet: { address: string; privateKey?: string }
  /** STOS the wallet keeps on "Polygon" to prepay more itself; default 1,000. */
  keepStos?: bigint
  /** STOS prepaid to `StoragePayments` for the wallet; default 100. */
  prepay?: bigint
  /** Native coin for gas on "Polygon"; default 1 (ether units). */
  gas?: bigint
}

/** What {@link fundDemoWallet} found or did. */
export interface DemoWalletFunding {
  /** `0x…` checksummed. */
  address: string
  /** False when the wallet already had a prepayment (a restart on the same chain state): nothing was sent. */
  funded: boolean
  /** The wallet's STOS on "Polygon" now. */
  polygonStos: bigint
  /** Its prepayments to `StoragePayments`, oldest first. */
  prepayments: Prepayment[]
}

function provider(rpcUrl: string, chainId: number): JsonRpcProvider {
  const request = new FetchRequest(rpcUrl)
  request.timeout = RPC_TIMEOUT_MS
  return new JsonRpcProvider(request, chainId, {
    staticNetwork: true,
    pollingInterval: 100,
    cacheTimeout: -1,
  })
}

/** Polls the wallet's STOS on "Polygon" until it reaches `amount`, within {@link DELIVERY_TIMEOUT_MS}. */
async function waitForPolygonStos(client: BridgeClient, address: string, amount: bigint): Promise<bigint> {
  const deadline = Date.now() + DELIVERY_TIMEOUT_MS
  for (;;) {
    const balance = await client.stosBalance('polygon', address)
    if (balance >= amount) return balance
    if (Date.now() > deadline)
      throw new Error(`The deposit did not reach ${address} on Polygon within ${DELIVERY_TIMEOUT_MS} ms`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

/**
 * Makes a wallet ready to own and pay for uploads on the local chains: gas and STOS on "Polygon" (bridged
 * from the deployer's STOS on "Ethereum" and delivered by the relayer), and a prepayment to
 * `StoragePayments` with the wallet as beneficiary, which the meta service credits as ozone. Does nothing
 * when the wallet already has a prepayment, so a restart on kept chain state funds it once.
 *
 * @example
 * ```ts
 * const chains = await startLocalChains()
 * const demo = Wallet.createRandom()
 * const funding = await fundDemoWallet(chains, { wallet: { address: demo.address, privateKey: demo.privateKey } })
 * console.log(funding.prepayments[0]?.amount)
 * ```
 */
export async function fundDemoWallet(
  chains: LocalChains,
  init: FundDemoWalletInit,
): Promise<DemoWalletFunding> {
  const keep = init.keepStos ?? 1000n * STOS
  const prepay = init.prepay ?? 100n * STOS
  const gas = init.gas ?? parseEther('1')
  const eth = provider(chains.ethereum.rpcUrl, chains.ethereum.chainId)
  const pol = provider(chains.polygon.rpcUrl, chains.polygon.chainId)
  try {
    const deployerKey = chains.accounts[DEV_ROLES.deployer]!.privateKey
    const deployer = createBridgeClient({
      ethereum: new Wallet(deployerKey, eth),
      polygon: new Wallet(deployerKey, pol),
      addresses: chains.addresses,
    })
    const own = init.wallet.privateKey !== undefined
    const target = own ? new Wallet(init.wallet.privateKey!).address : getAddress(init.wallet.address)
    const existing = await deployer.prepaymentsOf(target)
    if (existing.length > 0) {
      return {
        address: target,
        funded: false,
        polygonStos: await deployer.stosBalance('polygon', target),
        prepayments: existing,
      }
    }
    // Gas for the wallet's own transactions on "Polygon" (approve, prepay).
    if ((await pol.getBalance(target)) < gas / 2n) {
      const sent = await new Wallet(deployerKey, pol).sendTransaction({ to: target, value: gas })
      await sent.wait(1, RPC_TIMEOUT_MS)
    }
    // The wallet's STOS (what it keeps, plus what it prepays itself) arrives over the bridge; with only an
    // address, the deployer bridges the prepayment to itself and pays for the wallet.
    const deployerAddress = chains.accounts[DEV_ROLES.deployer]!.address
    const before = await deployer.stosBalance('polygon', target)
    const deployerBefore = await deployer.stosBalance('polygon', deployerAddress)
    await deployer.deposit({ amount: own ? keep + prepay : keep, to: target })
    if (!own) await deployer.deposit({ amount: prepay })
    await chains.relayer.syncState()
    await waitForPolygonStos(deployer, target, before + (own ? keep + prepay : keep))
    if (!own) await waitForPolygonStos(deployer, deployerAddress, deployerBefore + prepay)
    if (own) {
      const payer = createBridgeClient({
        ethereum: new Wallet(init.wallet.privateKey!, eth),
        polygon: new Wallet(init.wallet.privateKey!, pol),
        addresses: chains.addresses,
      })
      await payer.prepay({ beneficiary: target, amount: prepay })
    } else {
      await deployer.prepay({ beneficiary: target, amount: prepay })
    }
    return {
      address: target,
      funded: true,
      polygonStos: await deployer.stosBalance('polygon', target),
      prepayments: await deployer.prepaymentsOf(target),
    }
  } finally {
    eth.destroy()
    pol.destroy()
  }
}
