// Proof of Traffic in `npm start` (scripts/start.mjs): three local committee keys generated into the data
// directory (never committed), a TrafficRewards contract of their own on the local Polygon anvil (2 of 3,
// short epochs), funded with bridged STOS, and the meta node's flags that post each epoch's root there.
// The epoch length is $STRATOS_EDGE_EPOCH_SECONDS (default 60). See docs/proof-of-traffic.md.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/** Default local epoch length, seconds: long enough to download in, short enough to watch settle. */
export const LOCAL_EPOCH_SECONDS = 60
/** Bridged STOS put into the rewards pool on the first start. */
const POOL_STOS = 10_000n * 10n ** 18n
const COMMITTEE_SIZE = 3
const THRESHOLD = 2

/** The epoch length from $STRATOS_EDGE_EPOCH_SECONDS, or the default. */
export function epochSeconds(env = process.env) {
  const text = env.STRATOS_EDGE_EPOCH_SECONDS
  if (text === undefined || text === '') return LOCAL_EPOCH_SECONDS
  const n = Number(text)
  if (!Number.isSafeInteger(n) || n < 2)
    throw new Error(`STRATOS_EDGE_EPOCH_SECONDS must be a whole number ≥ 2, not ${text}`)
  return n
}

/** The committee keys in `<dir>/committee.keys`, created (mode 600) on the first start. */
async function committeeKeys(dir) {
  const file = join(dir, 'committee.keys')
  if (!existsSync(file)) {
    const { Wallet } = await import('ethers')
    const keys = Array.from({ length: COMMITTEE_SIZE }, () => Wallet.createRandom().privateKey)
    writeFileSync(
      file,
      `# local Proof of Traffic committee keys (npm start); never commit\n${keys.join('\n')}\n`,
      {
        mode: 0o600,
      },
    )
  }
  const keys = readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter(Boolean)
  return { file, keys }
}

/**
 * Deploys (once per data directory: the chain state survives restarts) TrafficRewards with the local
 * committee, funds its pool and the committee's gas, and returns the resource node flags plus a summary.
 * With given RPC endpoints (no local anvil) it does nothing: a real network has its own committee.
 */
export async function setUpTraffic({ chains, dataDir }) {
  if (chains.external) return { args: [], lines: [] }
  const dir = join(dataDir, 'traffic')
  mkdirSync(dir, { recursive: true })
  const seconds = epochSeconds()
  const { file, keys } = await committeeKeys(dir)
  const { ContractFactory, JsonRpcProvider, Wallet, toBeHex } = await import('ethers')
  const { artifacts, createBridgeClient } = await import('@stratos-edge/polygon-bridge')
  const local = await import('@stratos-edge/polygon-bridge/local')
  const pol = new JsonRpcProvider(chains.polygon.rpcUrl, chains.polygon.chainId, {
    staticNetwork: true,
    cacheTimeout: -1,
  })
  const eth = new JsonRpcProvider(chains.ethereum.rpcUrl, chains.ethereum.chainId, {
    staticNetwork: true,
    cacheTimeout: -1,
  })
  try {
    const deploymentFile = join(dir, 'deployment.json')
    const saved = existsSync(deploymentFile) ? JSON.parse(readFileSync(deploymentFile, 'utf8')) : undefined
    let address = saved?.epochSeconds === seconds ? saved.trafficRewards : undefined
    if (address && (await pol.getCode(address)) === '0x') address = undefined
    if (!address) {
      const deployer = new Wallet(local.devAccounts()[0].privateKey, pol)
      const latest = await pol.getBlock('latest')
      const committee = keys.map((k) => new Wallet(k).address)
      const { abi, bytecode } = artifacts.TrafficRewards
      const contract = await new ContractFactory(abi, bytecode, deployer).deploy(
        chains.addresses.polygon.bridgedStos,
        deployer.address,
        committee,
        THRESHOLD,
        latest.timestamp,
        seconds,
      )
      await contract.waitForDeployment()
      address = await contract.getAddress()
      // The pool: bridged STOS deposited from the dev treasury (the relayer brings it to Polygon).
      const treasury = createBridgeClient({
        ethereum: new Wallet(local.devAccounts()[0].privateKey, eth),
        polygon: deployer,
        addresses: chains.addresses,
      })
      await treasury.deposit({ amount: POOL_STOS, to: address })
      writeFileSync(
        deploymentFile,
        `${JSON.stringify({ trafficRewards: address, epochSeconds: seconds, committee }, null, 2)}\n`,
      )
    }
    // The first committee key sends the root transactions: give it gas on the local chain.
    await pol.send('anvil_setBalance', [new Wallet(keys[0]).address, toBeHex(10n ** 21n)])
    return {
      args: [
        ...['--polygon-rpc', chains.polygon.rpcUrl, '--traffic-rewards', address],
        ...['--committee-key-file', file, '--committee-threshold', String(THRESHOLD)],
        ...['--epoch-seconds', String(seconds)],
      ],
      lines: [
        `  proof of traffic         epochs of ${seconds} s ($STRATOS_EDGE_EPOCH_SECONDS); roots to TrafficRewards ${address}`,
        `                           signed by ${THRESHOLD} of ${keys.length} local committee keys (${file})`,
      ],
    }
  } finally {
    pol.destroy()
    eth.destroy()
  }
}
