// Polygon bridge on two local anvil chains: how fast the payment watcher credits prepayments, and how long an
// exit proof (checkpoint header tree + receipt Merkle-Patricia proof) takes to build, each against the raw
// JSON-RPC reads it needs measured in the same run.
import {
  artifacts,
  buildExitPayload,
  createBridgeClient,
  createMemoryWatcherStore,
  createPaymentWatcher,
  fetchCheckpointHeaders,
} from '@stratos-edge/polygon-bridge'
import { startLocalChains } from '@stratos-edge/polygon-bridge/local'
import { Contract, type InterfaceAbi, JsonRpcProvider, Wallet } from 'ethers'
import { median, writeResults } from '../results.js'

const PAYMENTS = 200
const REPEATS = 5
const STOS = 10n ** 18n

const chains = await startLocalChains({ autoRelay: false })
const opts = { staticNetwork: true, pollingInterval: 50, cacheTimeout: -1 } as const
const eth = new JsonRpcProvider(chains.ethereum.rpcUrl, chains.ethereum.chainId, opts)
const pol = new JsonRpcProvider(chains.polygon.rpcUrl, chains.polygon.chainId, opts)
try {
  const key = chains.accounts[1]!.privateKey
  const client = createBridgeClient({
    ethereum: new Wallet(key, eth),
    polygon: new Wallet(key, pol),
    addresses: chains.addresses,
  })
  await client.deposit({ amount: 10_000n * STOS })
  await chains.relayer.syncState()
  const wallet = new Wallet(key, pol)
  const token = new Contract(
    chains.addresses.polygon.bridgedStos,
    artifacts.BridgedStos.abi as unknown as InterfaceAbi,
    wallet,
  )
  const payments = new Contract(
    chains.addresses.polygon.storagePayments,
    artifacts.StoragePayments.abi as unknown as InterfaceAbi,
    wallet,
  )
  const fromBlock = await pol.getBlockNumber()
  await (
    await token.getFunction('approve').send(chains.addresses.polygon.storagePayments, 10_000n * STOS)
  ).wait()
  for (let i = 0; i < PAYMENTS; i++) {
    await (await payments.getFunction('prepay').send(chains.accounts[2 + (i % 4)]!.address, STOS)).wait()
  }
  await pol.send('anvil_mine', ['0x10'])

  // Raw limit: one eth_getLogs over the same range for the same event.
  const topic = payments.interface.getEvent('Prepaid')!.topicHash
  const rawMs: number[] = []
  const watcherMs: number[] = []
  for (let r = 0; r < REPEATS; r++) {
    let t = performance.now()
    const logs = await pol.getLogs({
      address: chains.addresses.polygon.storagePayments,
      topics: [topic],
      fromBlock,
      toBlock: 'latest',
    })
    rawMs.push(performance.now() - t)
    if (logs.length !== PAYMENTS) throw new Error(`expected ${PAYMENTS} logs, got ${logs.length}`)
    let credited = 0
    const watcher = createPaymentWatcher(
      {
        storagePayments: chains.addresses.polygon.storagePayments,
        chainId: chains.polygon.chainId,
        confirmations: 12,
        fromBlock,
      },
      { provider: pol, store: createMemoryWatcherStore(), onPayment: async () => void credited++ },
    )
    t = performance.now()
    await watcher.poll()
    watcherMs.push(performance.now() - t)
    if (credited !== PAYMENTS) throw new Error(`watcher credited ${credited} of ${PAYMENTS}`)
  }

  // Exit proof: a burn, a checkpoint over every Polygon block so far, then the payload build.
  const burn = await client.startWithdraw({ amount: STOS })
  const header = await chains.relayer.checkpoint()
  const cm = new Contract(
    chains.addresses.ethereum.checkpointManager,
    artifacts.LocalCheckpointManager.abi as unknown as InterfaceAbi,
    eth,
  )
  const h = await cm.getFunction('headerBlocks').staticCall(header)
  const blocks = Number(h[2]) - Number(h[1]) + 1
  const rawProofMs: number[] = []
  const proofMs: number[] = []
  for (let r = 0; r < REPEATS; r++) {
    let t = performance.now()
    await fetchCheckpointHeaders(pol, Number(h[1]), Number(h[2]))
    rawProofMs.push(performance.now() - t)
    t = performance.now()
    await buildExitPayload({
      rpc: pol,
      txHash: burn.hash,
      logIndex: burn.logIndex,
      headerNumber: header!,
      start: Number(h[1]),
      end: Number(h[2]),
      expectedRoot: h[0],
    })
    proofMs.push(performance.now() - t)
  }
  const results = {
    watcher: {
      payments: PAYMENTS,
      rawGetLogsMs: median(rawMs),
      watcherPollMs: median(watcherMs),
      creditsPerSecond: Math.round(PAYMENTS / (median(watcherMs) / 1000)),
      ratioToRawGetLogs: Number((median(watcherMs) / median(rawMs)).toFixed(2)),
    },
    exitProof: {
      checkpointBlocks: blocks,
      rawHeaderReadsMs: median(rawProofMs),
      buildExitPayloadMs: median(proofMs),
      ratioToRawHeaderReads: Number((median(proofMs) / median(rawProofMs)).toFixed(2)),
    },
    repeats: REPEATS,
  }
  console.log(JSON.stringify(results, null, 2))
  writeResults('bridge-watcher', results)
} finally {
  eth.destroy()
  pol.destroy()
  await chains.stop()
}
