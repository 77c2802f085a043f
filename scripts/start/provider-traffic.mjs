// The resource nodes of `npm start` as Proof of Traffic providers (scripts/start.mjs): each has its
// traffic key, created here before the meta node starts so that the meta node takes the second node's
// gateway self-reports; on the local anvil each claims its rewards, its key given gas.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/** The address of the traffic key in `<nodeDir>/traffic.key`, created (mode 600) when missing. */
export async function providerAddress(nodeDir) {
  const { Wallet } = await import('ethers')
  const file = join(nodeDir, 'traffic.key')
  mkdirSync(nodeDir, { recursive: true })
  if (!existsSync(file)) writeFileSync(file, `${Wallet.createRandom().privateKey}\n`, { mode: 0o600 })
  return new Wallet(readFileSync(file, 'utf8').trim()).address
}

/** A node's provider flags; `polygonRpc` only when the node has no --polygon-rpc already. */
export function providerArgs(chains, { polygonRpc }) {
  if (chains.external) return ['--provider-traffic']
  return [
    '--provider-traffic',
    '--claim-rewards',
    ...(polygonRpc ? ['--polygon-rpc', chains.polygon.rpcUrl] : []),
  ]
}

/** Gas for the providers' claims on the local Polygon anvil (nothing on given RPC endpoints). */
export async function fundProviders(chains, addresses) {
  if (chains.external) return
  const { JsonRpcProvider, toBeHex } = await import('ethers')
  const pol = new JsonRpcProvider(chains.polygon.rpcUrl, chains.polygon.chainId, { staticNetwork: true })
  try {
    for (const a of addresses) await pol.send('anvil_setBalance', [a, toBeHex(10n ** 20n)])
  } finally {
    pol.destroy()
  }
}
