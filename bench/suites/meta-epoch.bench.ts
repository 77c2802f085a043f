// One Proof of Traffic epoch at scale: 1,000,000 slice deliveries among 10,000 downloaders and 1,000
// providers. Receipts are cumulative, one per (downloader, provider, ticket): each downloader fetches its
// 100 slices from PER_DOWNLOADER providers (default 3), so the meta service checks 10,000 × 3 receipts,
// not a million. Measures, from the epoch's end: submitting every provider's receipts (signature checks
// on worker threads over all cores), settling (caps, report, rewards, tree, in node:sqlite) and posting
// the root to TrafficRewards on a local anvil with 2 of 3 committee keys; then peak RSS.
// Raw limit in the same run: downloader signature checks per second on one core, in this thread, with
// core's JavaScript recovery and with the path the worker threads use (native libsecp256k1 recovery
// and WebAssembly keccak, unless RECOVERY=js).
// Run: npm run bench -- meta-epoch (the signed data set is cached in the OS temp dir after the first run).
// Levers, each can be turned off: RECOVERY=js (JavaScript recovery in the threads), SELF_ISSUED=0 (recover
// tickets the meta service signed itself), CONCURRENCY=1 (providers submit one after another).
//
// Measured (2026-12-07, this 2-core machine shared with other engineers, load average 13-27): with
// JavaScript recovery (@noble/curves 2) recovery is the whole cost: 108 CPU-seconds, 404 s wall
// (RECOVERY=js SELF_ISSUED=0 CONCURRENCY=1, load 13-27). With the levers on, at load 19: 7.8 CPU-seconds
// (4.1 of them on the settlement's own thread), 28.5 s from the epoch's end to the root posted, peak RSS
// 562 MiB; at load 15: 9.2 CPU-seconds, 32.4 s. Without skipping self-issued tickets: 13.1 CPU-seconds. What is left is mostly this thread's own: receipt rules, address parsing and one sqlite
// commit (full sync) per submission. `verifiedPerCpuSecond` and `projectedEpochSecondsOnIdleCores`
// divide out the other engineers' load.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads'
import {
  computeFileHash,
  computeSliceHash,
  decodeReceipt,
  decodeTicket,
  encodeReceipt,
  encodeTicket,
  fromHex,
  issueTicket,
  keccak256,
  keyPairFromPrivateKey,
  signReceipt,
  type Ticket,
  type TrafficReceipt,
  toHex,
} from '@stratos-edge/core'
import { createBridgeClient, LOCAL_POLYGON_CHAIN_ID } from '@stratos-edge/polygon-bridge'
import { DEV_ROLES, startLocalChains } from '@stratos-edge/polygon-bridge/local'
import { createLogger } from '@stratos-edge/resource-node'
import {
  createCommitteeRootPoster,
  createReceiptDigester,
  createSignerRecovery,
  createTrafficSettlement,
  createWorkerReceiptVerifier,
  openSqliteSettlementStore,
  receiptSignatureValid,
} from '@stratos-edge/resource-node/traffic'
import { JsonRpcProvider, toBeHex, Wallet } from 'ethers'
import { writeResults } from '../results.js'

const DOWNLOADERS = 10_000
const PROVIDERS = 1_000
const DELIVERIES = 1_000_000
const PER_DOWNLOADER = Number(process.env.PER_DOWNLOADER ?? 3)
/** `RECOVERY=js`: recover signers in JavaScript even where the native addon loads. */
const FORCE_JS = process.env.RECOVERY === 'js'
/** `SELF_ISSUED=0`: the ticket book does not say which tickets the meta service signed itself. */
const SELF_ISSUED = process.env.SELF_ISSUED !== '0'
const NETWORK = LOCAL_POLYGON_CHAIN_ID
/** Provider submissions in flight at once (`CONCURRENCY=1`: one after another). */
const CONCURRENCY = Math.max(1, Number(process.env.CONCURRENCY ?? 4))
const FILES = 100
const SLICE_BYTES = 256 * 1024
const EPOCH_MS = 600_000
const GENESIS_MS = 1_800_000_000_000
const EPOCH = 1
const RAW_SAMPLE = 400

const keyOf = (what: string, i: number) =>
  keyPairFromPrivateKey(keccak256(new TextEncoder().encode(`meta-epoch bench ${what} ${i}`)))
const fileHashOf = (j: number) => computeFileHash(new TextEncoder().encode(`meta-epoch file ${j}`))

interface Slice {
  tickets: string[]
  receipts: string[]
}

/** Signs the tickets and receipts of downloaders [from, to): run on a worker thread. */
function generate(from: number, to: number, providers: string[]): Slice {
  const meta = keyOf('meta', 0)
  const perDownloader = DELIVERIES / DOWNLOADERS
  const out: Slice = { tickets: [], receipts: [] }
  for (let i = from; i < to; i++) {
    const d = keyOf('downloader', i)
    const fileHash = fileHashOf(i % FILES)
    const ticket = issueTicket(
      {
        kind: 'download',
        network: NETWORK,
        owner: keyOf('owner', i % FILES).evmAddress,
        holder: d.evmAddress,
        fileHash,
        bytesAllowed: BigInt(perDownloader * SLICE_BYTES),
        expiresAt: Math.floor(GENESIS_MS / 1000) + 86_400,
      },
      meta,
    )
    out.tickets.push(toHex(encodeTicket(ticket)))
    for (let k = 0; k < PER_DOWNLOADER; k++) {
      const slices = Math.floor(perDownloader / PER_DOWNLOADER) + (k < perDownloader % PER_DOWNLOADER ? 1 : 0)
      const r = signReceipt(
        {
          network: NETWORK,
          epoch: EPOCH,
          provider: providers[(i + k * 337) % PROVIDERS] as string,
          fileHash,
          sliceHash: computeSliceHash(k + 1, new Uint8Array([k]), fileHash),
          bytes: slices * SLICE_BYTES,
          ticketId: ticket.id,
          nonce: BigInt(k + 1),
        },
        d,
      )
      out.receipts.push(toHex(encodeReceipt(r)))
    }
  }
  return out
}

if (!isMainThread) {
  const { from, to, providers } = workerData as { from: number; to: number; providers: string[] }
  parentPort?.postMessage(generate(from, to, providers))
} else {
  await main()
}

async function loadOrGenerate(
  providers: string[],
): Promise<{ tickets: Ticket[]; ticketBytes: Uint8Array[]; receipts: TrafficReceipt[] }> {
  const dir = join(tmpdir(), 'stratos-edge-bench')
  // v2: tickets and receipts carry a network id (core's encoding version 2).
  const file = join(dir, `meta-epoch-v2-${DOWNLOADERS}-${PROVIDERS}-${DELIVERIES}-${PER_DOWNLOADER}.json`)
  let data: Slice
  if (existsSync(file)) {
    data = JSON.parse(readFileSync(file, 'utf8')) as Slice
  } else {
    const t = performance.now()
    const threads = availableParallelism()
    const per = Math.ceil(DOWNLOADERS / threads)
    const parts = await Promise.all(
      Array.from(
        { length: threads },
        (_, i) =>
          new Promise<Slice>((resolve, reject) => {
            const w = new Worker(new URL(import.meta.url), {
              workerData: { from: i * per, to: Math.min(DOWNLOADERS, (i + 1) * per), providers },
            })
            w.once('message', resolve)
            w.once('error', reject)
          }),
      ),
    )
    data = { tickets: parts.flatMap((p) => p.tickets), receipts: parts.flatMap((p) => p.receipts) }
    mkdirSync(dir, { recursive: true })
    writeFileSync(file, JSON.stringify(data))
    console.log(`signed the data set in ${((performance.now() - t) / 1000).toFixed(1)} s (cached in ${file})`)
  }
  const ticketBytes = data.tickets.map(fromHex)
  return {
    tickets: ticketBytes.map(decodeTicket),
    ticketBytes,
    receipts: data.receipts.map((h) => decodeReceipt(fromHex(h))),
  }
}

async function main(): Promise<void> {
  const cores = availableParallelism()
  const providers = Array.from({ length: PROVIDERS }, (_, i) => keyOf('provider', i).evmAddress)
  const { tickets, ticketBytes, receipts } = await loadOrGenerate(providers)
  const byProvider = new Map<string, TrafficReceipt[]>()
  for (const r of receipts) {
    const list = byProvider.get(r.provider) ?? []
    list.push(r)
    byProvider.set(r.provider, list)
  }
  const ticketBook = new Map<string, Ticket>(tickets.map((t) => [t.id, t]))
  // What the meta service kept of the tickets it signed (all of them here).
  const issuedBytes = new Map<string, Uint8Array>(tickets.map((t, i) => [t.id, ticketBytes[i] as Uint8Array]))

  // Raw limits: downloader signature checks on one core, in this thread: core's (JavaScript), and the
  // recovery the worker threads use (native when the `secp256k1` addon loads).
  let t = performance.now()
  for (const r of receipts.slice(0, RAW_SAMPLE)) receiptSignatureValid(r)
  const rawJsPerCore = RAW_SAMPLE / ((performance.now() - t) / 1000)
  const digester = await createReceiptDigester()
  const recovery = createSignerRecovery({ forceJavaScript: FORCE_JS, keccak: digester.keccak })
  const rawSample = receipts.slice(0, RAW_SAMPLE * 10)
  t = performance.now()
  for (const r of rawSample) {
    const signer = recovery.recover(digester.digest(r), r.signature)
    if (!signer || toHex(signer) !== r.downloader.toLowerCase()) throw new Error('raw check failed')
  }
  const rawPerCore = rawSample.length / ((performance.now() - t) / 1000)

  const chains = await startLocalChains({ autoRelay: false })
  const opts = { staticNetwork: true, pollingInterval: 50, cacheTimeout: -1 } as const
  const eth = new JsonRpcProvider(chains.ethereum.rpcUrl, chains.ethereum.chainId, opts)
  const pol = new JsonRpcProvider(chains.polygon.rpcUrl, chains.polygon.chainId, opts)
  const dataDir = await mkdtemp(join(tmpdir(), 'stratos-meta-epoch-'))
  const pool = createWorkerReceiptVerifier({ threads: cores, forceJavaScript: FORCE_JS })
  try {
    const wallet = (i: number, p: JsonRpcProvider) => new Wallet(chains.accounts[i]!.privateKey, p)
    const treasury = createBridgeClient({
      ethereum: wallet(0, eth),
      polygon: wallet(0, pol),
      addresses: chains.addresses,
    })
    await treasury.deposit({ amount: 1000n * 10n ** 18n, to: chains.addresses.polygon.trafficRewards })
    await chains.relayer.syncState()
    await pol.send('evm_increaseTime', [toBeHex(1300)])
    await pol.send('evm_mine', [])
    const client = createBridgeClient({
      ethereum: wallet(5, eth),
      polygon: wallet(5, pol),
      addresses: chains.addresses,
    })
    const committee = DEV_ROLES.committee.map((i) => wallet(i, pol))
    const store = openSqliteSettlementStore({ dataDir })
    const epochEnd = GENESIS_MS + (EPOCH + 1) * EPOCH_MS
    const clock = { now: epochEnd }
    const settlement = createTrafficSettlement(
      {
        clock: { genesisMs: GENESIS_MS, epochMs: EPOCH_MS },
        lateWindowMs: 60_000,
        issuers: [keyOf('meta', 0).evmAddress],
      },
      {
        store,
        tickets: {
          get: async (id) => ticketBook.get(id),
          ...(SELF_ISSUED ? { issuedHere: async (id: string) => issuedBytes.get(id) } : {}),
        },
        charger: { chargeTraffic: async () => {} },
        market: async () => ({
          totalDeposit: 10n ** 21n,
          unissuedPrepay: 10n ** 20n,
          remainingOzoneLimit: 10n ** 15n,
        }),
        poster: createCommitteeRootPoster({ threshold: DEV_ROLES.threshold }, { client, committee }),
        verifier: pool.verify,
        ticketVerifier: pool.verifyTickets,
        now: () => clock.now,
        logger: createLogger({ level: 'error' }),
      },
    )

    // The epoch has ended: every provider submits its receipts.
    const start = performance.now()
    const cpuStart = process.cpuUsage()
    const mainCpuStart = process.threadCpuUsage()
    let accepted = 0
    // Providers submit over their own streams, so several submissions are in flight at once: the
    // worker threads check one while this thread stores another.
    const queue = [...byProvider]
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        for (let next = queue.shift(); next; next = queue.shift()) {
          const result = await settlement.submit(next[0], next[1])
          accepted += result.accepted
          if (result.rejected.length > 0) throw new Error(`rejected: ${JSON.stringify(result.rejected[0])}`)
        }
      }),
    )
    const submitted = performance.now()
    const cpu = process.cpuUsage(cpuStart)
    const submitCpuS = (cpu.user + cpu.system) / 1e6
    const mainCpu = process.threadCpuUsage(mainCpuStart)
    const mainCpuS = (mainCpu.user + mainCpu.system) / 1e6
    clock.now = epochEnd + 60_000
    const settled = await settlement.settle(EPOCH)
    const settledAt = performance.now()
    await settlement.tick()
    const posted = performance.now()
    const onChain = await client.epochRoot(EPOCH)
    if (onChain?.root !== settled.root) throw new Error('root not posted')
    await store.close()

    const submitS = (submitted - start) / 1000
    const results = {
      downloaders: DOWNLOADERS,
      providers: PROVIDERS,
      sliceDeliveries: DELIVERIES,
      providersPerDownloader: PER_DOWNLOADER,
      receipts: accepted,
      cores,
      loadAverage1m: loadavg()[0],
      recovery: (await pool.native()) ? 'native' : 'javascript',
      selfIssuedTicketsSkipRecovery: SELF_ISSUED,
      submissionsInFlight: CONCURRENCY,
      rawJsVerifiedPerSecondOneCore: Math.round(rawJsPerCore),
      rawVerifiedPerSecondOneCore: Math.round(rawPerCore),
      verifiedPerSecondPerCore: Math.round(accepted / submitS / cores),
      submitSeconds: +submitS.toFixed(2),
      // CPU time of the whole process (all threads): what the checks cost whatever else runs on the machine.
      submitCpuSeconds: +submitCpuS.toFixed(2),
      // This thread's share: settlement rules, sqlite (its fsync waits are not CPU time), dispatch.
      submitMainThreadCpuSeconds: +mainCpuS.toFixed(2),
      verifiedPerCpuSecond: Math.round(accepted / submitCpuS),
      // The busier of: all threads' CPU spread over the cores, this thread's own CPU.
      projectedEpochSecondsOnIdleCores: +(
        Math.max(submitCpuS / cores, mainCpuS) +
        (posted - submitted) / 1000
      ).toFixed(1),
      settleSeconds: +((settledAt - submitted) / 1000).toFixed(2),
      postSeconds: +((posted - settledAt) / 1000).toFixed(2),
      epochEndToRootPostedSeconds: +((posted - start) / 1000).toFixed(2),
      peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
      ratioToRawPerCore: +(accepted / submitS / cores / rawPerCore).toFixed(2),
      targetSeconds: 60,
      targetRssMiB: 1024,
    }
    console.table(results)
    writeResults('meta-epoch', results)
  } finally {
    await pool.close()
    eth.destroy()
    pol.destroy()
    await chains.stop()
    await rm(dataDir, { recursive: true, force: true })
  }
}
