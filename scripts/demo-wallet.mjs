// The demo wallet of `npm start`: a wallet that owns and pays for uploads on the local chains, so the
// portal and the widget work at once. Created once (its key kept in <data dir>/demo-wallet.json, readable
// by you only), given gas and STOS on the local "Polygon", and prepaid to StoragePayments (the meta service
// credits the prepayment as ozone). Import its key into a browser wallet to use it on the pages.
//
// start.mjs calls its default export (setUpDemoWallet) right after the chains are up.
// Another wallet: `npm start -- --wallet 0x…` funds and prepays for that address instead (no key needed:
// the deployer pays); `--no-demo-wallet` skips it.
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/** What `npm start -- --help` says about wallets (start.mjs prints it with its own options). */
export const DEMO_WALLET_HELP = `Wallets:
  By default npm start creates a demo wallet (key in <data dir>/demo-wallet.json), gives it gas and
  1,000 STOS on the local Polygon and prepays 100 STOS of storage for it, then prints its address.
  Import that key into a browser wallet (local Polygon RPC and chain id as printed) to upload as it.
  --wallet <0x address>   fund and prepay for your own wallet instead (the deployer pays; no key needed)
  --no-demo-wallet        no wallet is funded`

/** The value of `--wallet <address>` or `--wallet=<address>`, if given. */
function walletArgument(argv) {
  const at = argv.indexOf('--wallet')
  if (at >= 0) return argv[at + 1]
  return argv.find((a) => a.startsWith('--wallet='))?.slice('--wallet='.length)
}

/** The demo wallet's key, created on first use. */
async function loadOrCreateDemoKey(dataDir) {
  const path = join(dataDir, 'demo-wallet.json')
  if (existsSync(path)) return { ...JSON.parse(readFileSync(path, 'utf8')), path }
  const { generateKeyPair, toHex } = await import('@stratos-edge/core')
  const pair = generateKeyPair()
  const key = { address: pair.evmAddress, privateKey: toHex(pair.privateKey) }
  writeFileSync(path, `${JSON.stringify(key, null, 2)}\n`, { mode: 0o600 })
  chmodSync(path, 0o600)
  return { ...key, path }
}

/**
 * Funds the demo wallet (or the `--wallet` address) on the local chains and prints it. Resolves to
 * `{ address, st1, keyPath? }`, or undefined with `--no-demo-wallet`.
 */
export async function setUpDemoWallet({ chains, dataDir, argv = process.argv, log = console.log }) {
  if (argv.includes('--no-demo-wallet')) return undefined
  const { fundDemoWallet } = await import('@stratos-edge/polygon-bridge/local')
  const { toStratosAddress } = await import('@stratos-edge/core')
  const brought = walletArgument(argv)
  if (brought !== undefined && !/^0x[0-9a-fA-F]{40}$/.test(brought))
    throw new Error(`--wallet needs a 0x address, got ${JSON.stringify(brought)}`)
  const key = brought ? undefined : await loadOrCreateDemoKey(dataDir)
  const funding = await fundDemoWallet(chains, {
    wallet: key ? { address: key.address, privateKey: key.privateKey } : { address: brought },
  })
  const st1 = toStratosAddress(funding.address)
  const stos = (v) => `${v / 10n ** 18n} STOS`
  const prepaid = funding.prepayments.reduce((sum, p) => sum + p.amount, 0n)
  log(`  ${(key ? 'demo wallet' : 'your wallet').padEnd(25)}${funding.address}   ${st1}`)
  log(
    `                           ${stos(funding.polygonStos)} on Polygon, ${stos(prepaid)} prepaid for storage` +
      (funding.funded ? '' : ' (funded before)'),
  )
  if (key) log(`                           key: ${key.path} (import it into a browser wallet)`)
  return { address: funding.address, st1, ...(key ? { keyPath: key.path } : {}) }
}

export default setUpDemoWallet
