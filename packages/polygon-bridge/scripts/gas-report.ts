// Gas report: runs a scenario that calls every externally callable function of every contract on two fresh
// anvil chains, then reads every transaction's receipt and writes gas-report.md.
// Usage: npm run gas-report -w @stratos-edge/polygon-bridge
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { buildRewardTree } from '@stratos-edge/core'
import { Contract, Interface, type InterfaceAbi, JsonRpcProvider, Wallet } from 'ethers'
import { createBridgeClient } from '../src/bridge-client.js'
import { artifacts, type ContractName } from '../src/generated/artifacts.js'
import { startLocalChains } from '../src/local/start-local-chains.js'
import { signEpochRoot, sortSignatures } from '../src/reward-signatures.js'
import { packageDir } from './solc-compile.js'

const STOS = 10n ** 18n
const chains = await startLocalChains({ autoRelay: false })
const providerOpts = { staticNetwork: true, pollingInterval: 50, cacheTimeout: -1 } as const
const eth = new JsonRpcProvider(chains.ethereum.rpcUrl, chains.ethereum.chainId, providerOpts)
const pol = new JsonRpcProvider(chains.polygon.rpcUrl, chains.polygon.chainId, providerOpts)
const ethW = (i: number) => new Wallet(chains.accounts[i]!.privateKey, eth)
const polW = (i: number) => new Wallet(chains.accounts[i]!.privateKey, pol)
const a = chains.addresses
const at = (name: ContractName, address: string, w: Wallet) =>
  new Contract(address, artifacts[name].abi as unknown as InterfaceAbi, w)
async function tx(c: Contract, method: string, ...args: unknown[]): Promise<void> {
  await (await c.getFunction(method).send(...args)).wait()
}
const client = (i: number) => createBridgeClient({ ethereum: ethW(i), polygon: polW(i), addresses: a })

try {
  // Bridge both ways, both routes.
  const u = client(1)
  await u.deposit({ amount: 100n * STOS })
  await u.deposit({ amount: 10n * STOS, route: 'pos' })
  await client(0).deposit({ amount: 1000n * STOS, to: a.polygon.trafficRewards })
  await chains.relayer.syncState()
  const burnT = await u.startWithdraw({ amount: 5n * STOS })
  const bridged1 = at('BridgedStos', a.polygon.bridgedStos, polW(1))
  await tx(bridged1, 'withdraw', 1n * STOS)
  const burnP = await u.startWithdraw({ amount: 2n * STOS, route: 'pos' })
  await chains.relayer.checkpoint()
  await u.exitWithdraw({ burnTxHash: burnT.hash })
  await u.exitWithdraw({ burnTxHash: burnP.hash, route: 'pos' })
  // ERC-20 surface of the three tokens.
  for (const [name, address, w] of [
    ['TestStos', a.ethereum.stos, ethW(1)],
    ['BridgedStos', a.polygon.bridgedStos, polW(1)],
    ['ChildStos', a.polygon.childStos, polW(1)],
  ] as const) {
    const t = at(name, address, w)
    const spender = name === 'TestStos' ? ethW(2) : polW(2)
    await tx(t, 'transfer', chains.accounts[3]!.address, 1n * STOS)
    await tx(t, 'approve', spender.address, 1n * STOS)
    await tx(at(name, address, spender), 'transferFrom', w.address, chains.accounts[3]!.address, 1n * STOS)
  }
  const stosOwner = at('TestStos', a.ethereum.stos, ethW(0))
  await tx(stosOwner, 'pause')
  await tx(stosOwner, 'unpause')
  await tx(
    at('LocalStateSender', a.ethereum.stateSender, ethW(1)),
    'syncState',
    chains.accounts[1]!.address,
    '0x',
  )
  await tx(at('FxRoot', a.ethereum.fxRoot, ethW(1)), 'sendMessageToChild', chains.accounts[1]!.address, '0x')
  await chains.relayer.syncState()

  // Payments.
  const paid = await u.prepay({ beneficiary: chains.accounts[2]!.address, amount: 10n * STOS })
  await u.prepay({ beneficiary: chains.accounts[2]!.address, amount: 10n * STOS })
  const settler = at('StoragePayments', a.polygon.storagePayments, polW(6))
  await tx(settler, 'settle', paid.paymentId, 4n * STOS)
  await pol.send('evm_increaseTime', ['0x278d01'])
  await pol.send('evm_mine', [])
  await u.refundPrepayment(paid.paymentId)
  const payOwner = at('StoragePayments', a.polygon.storagePayments, polW(0))
  await tx(payOwner, 'withdrawTreasury', chains.accounts[9]!.address, 4n * STOS)
  await tx(payOwner, 'setSettler', chains.accounts[6]!.address)
  await tx(payOwner, 'setRefundDelay', 30n * 24n * 3600n)
  await tx(payOwner, 'pause')
  await tx(payOwner, 'unpause')

  // Rewards: a 2-of-3 and a 3-of-3 root, claims.
  const rewards = at('TrafficRewards', a.polygon.trafficRewards, polW(5))
  const domain = await u.rewardsDomain()
  await pol.send('evm_increaseTime', ['0x2000'])
  await pol.send('evm_mine', [])
  const accounts = chains.accounts.slice(1, 5).map((x) => x.address)
  for (const [epoch, signers] of [
    [1, [7, 8]],
    [2, [7, 8, 9]],
  ] as const) {
    const tree = buildRewardTree({ epoch, rewards: accounts.map((account) => ({ account, amount: STOS })) })
    const value = { epoch, root: tree.root, total: 4n * STOS }
    const sigs = sortSignatures(await Promise.all(signers.map((i) => signEpochRoot(polW(i), domain, value))))
    await tx(
      rewards,
      'postEpochRoot',
      epoch,
      tree.root,
      value.total,
      sigs.map((s) => s.signature),
    )
    for (const account of accounts.slice(0, 2)) {
      await tx(rewards, 'claim', epoch, account, STOS, tree.proof(account))
    }
  }
  const rewardsOwner = at('TrafficRewards', a.polygon.trafficRewards, polW(0))
  await tx(rewardsOwner, 'withdrawUnreserved', chains.accounts[9]!.address, 1n * STOS)
  await tx(
    rewardsOwner,
    'setCommittee',
    [7, 8, 9].map((i) => chains.accounts[i]!.address),
    2,
  )
  await tx(rewardsOwner, 'pause')
  await tx(rewardsOwner, 'unpause')

  // Ownership hand-over and renouncing, last (it disables the owner functions).
  for (const [name, address, w, chainW] of [
    ['StoragePayments', a.polygon.storagePayments, polW(0), polW],
    ['TrafficRewards', a.polygon.trafficRewards, polW(0), polW],
  ] as const) {
    await tx(at(name, address, w), 'transferOwnership', chains.accounts[8]!.address)
    await tx(at(name, address, chainW(8)), 'acceptOwnership')
    await tx(at(name, address, chainW(8)), 'renounceOwnership')
  }
  for (const [name, address, w] of [
    ['TestStos', a.ethereum.stos, ethW(0)],
    ['LocalCheckpointManager', a.ethereum.checkpointManager, ethW(0)],
    ['RootChainManager', a.ethereum.rootChainManager, ethW(0)],
    ['ChildChainManager', a.polygon.childChainManager, polW(0)],
  ] as const) {
    await tx(at(name, address, w), 'transferOwnership', w.address)
    await tx(at(name, address, w), 'renounceOwnership')
  }

  // Collect every transaction's gas.
  const byAddress = new Map<string, ContractName>()
  const names: Record<string, ContractName> = {
    stos: 'TestStos',
    stateSender: 'LocalStateSender',
    checkpointManager: 'LocalCheckpointManager',
    fxRoot: 'FxRoot',
    rootChainManager: 'RootChainManager',
    erc20Predicate: 'ERC20Predicate',
    rootTunnel: 'StosRootTunnel',
    fxChild: 'FxChild',
    childChainManager: 'ChildChainManager',
    childStos: 'ChildStos',
    bridgedStos: 'BridgedStos',
    storagePayments: 'StoragePayments',
    trafficRewards: 'TrafficRewards',
  }
  const gas = new Map<string, bigint[]>()
  const record = (key: string, used: bigint) => gas.set(key, [...(gas.get(key) ?? []), used])
  for (const [chainName, provider] of [
    ['ethereum', eth],
    ['polygon', pol],
  ] as const) {
    byAddress.clear()
    for (const [k, v] of Object.entries(a[chainName]))
      if (names[k]) byAddress.set(String(v).toLowerCase(), names[k]!)
    const head = await provider.getBlockNumber()
    for (let n = 0; n <= head; n++) {
      const block = await provider.getBlock(n, true)
      for (const t of block?.prefetchedTransactions ?? []) {
        const receipt = await provider.getTransactionReceipt(t.hash)
        if (receipt?.status !== 1) continue
        if (!t.to) {
          const name = byAddress.get(String(receipt.contractAddress).toLowerCase())
          if (name) record(`${name}|(deployment)`, receipt.gasUsed)
          continue
        }
        const name = byAddress.get(t.to.toLowerCase())
        if (!name) continue
        const fn = new Interface(artifacts[name].abi as unknown as InterfaceAbi).getFunction(
          t.data.slice(0, 10),
        )
        record(`${name}|${fn ? fn.name : t.data.slice(0, 10)}`, receipt.gasUsed)
      }
    }
  }
  const order: ContractName[] = [
    'StosRootTunnel',
    'BridgedStos',
    'StoragePayments',
    'TrafficRewards',
    'TestStos',
    'LocalStateSender',
    'LocalCheckpointManager',
    'FxRoot',
    'FxChild',
    'RootChainManager',
    'ERC20Predicate',
    'ChildChainManager',
    'ChildStos',
  ]
  const lines = [
    '# Gas report',
    '',
    'Generated by `npm run gas-report -w @stratos-edge/polygon-bridge` (scripts/gas-report.ts): a scenario calls',
    'every externally callable function on two fresh anvil chains (cancun, solc 0.8.37, optimizer 200 runs);',
    'figures are `gasUsed` of the mined transactions (including the 21000 base and calldata). Functions only',
    "another contract may call are marked; their cost is inside the caller's figure. `postEpochRoot` ran with",
    '2 and with 3 signatures; `deposit`/`exit` figures include the Polygon stand-ins they call.',
    '',
  ]
  for (const name of order) {
    const iface = new Interface(artifacts[name].abi as unknown as InterfaceAbi)
    const writes: string[] = []
    iface.forEachFunction((f) => {
      if (f.stateMutability !== 'view' && f.stateMutability !== 'pure') writes.push(f.name)
    })
    const local =
      name.startsWith('Local') ||
      [
        'FxRoot',
        'FxChild',
        'RootChainManager',
        'ERC20Predicate',
        'ChildChainManager',
        'ChildStos',
        'TestStos',
      ].includes(name)
    lines.push(
      `## ${name}${local ? ' (local stand-in)' : ''}`,
      '',
      '| function | calls | min | median | max |',
      '|---|---:|---:|---:|---:|',
    )
    for (const fn of ['(deployment)', ...writes.sort()]) {
      const values = (gas.get(`${name}|${fn}`) ?? []).sort((x, y) => (x < y ? -1 : x > y ? 1 : 0))
      if (values.length === 0) {
        lines.push(`| ${fn} | 0 | only called by another contract | | |`)
        continue
      }
      const median = values[Math.floor(values.length / 2)]!
      lines.push(`| ${fn} | ${values.length} | ${values[0]} | ${median} | ${values[values.length - 1]} |`)
    }
    lines.push('')
  }
  writeFileSync(join(packageDir, 'gas-report.md'), lines.join('\n'))
  console.log(lines.join('\n'))
} finally {
  eth.destroy()
  pol.destroy()
  await chains.stop()
}
